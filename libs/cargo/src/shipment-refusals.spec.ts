import { DomainError } from '@itn/core';
import { QueryFailedError } from 'typeorm';
import { shipmentRefusalError, shipmentRefusalOf } from './shipment-refusals';

const raised = (hint: string, detail: object) =>
  new QueryFailedError(
    'SELECT * FROM create_shipment($1)',
    [],
    Object.assign(new Error('refused'), {
      code: 'P0001',
      hint,
      detail: JSON.stringify(detail),
    }),
  );

describe(shipmentRefusalOf.name, () => {
  it('reads the refusals create_shipment() raises', () => {
    expect(shipmentRefusalOf(raised('ITN_STATION_CAPACITY', { stationId: 's' }))).toEqual({
      kind: 'station_capacity',
      detail: { stationId: 's' },
    });
  });

  it('passes over any other error', () => {
    expect(shipmentRefusalOf(raised('SOMETHING_ELSE', {}))).toBeUndefined();
    expect(
      shipmentRefusalOf(new QueryFailedError('x', [], Object.assign(new Error(), { code: '23505' }))),
    ).toBeUndefined();
    expect(shipmentRefusalOf(new Error('P0001'))).toBeUndefined();
  });
});

describe(shipmentRefusalError.name, () => {
  const request = { originStationId: 'origin', lines: [{ commodityId: 'ore', quantity: 7 }] };
  const answer = (kind: Parameters<typeof shipmentRefusalError>[0]['kind'], detail: object) => {
    const e = shipmentRefusalError({ kind, detail }, request, 5_000_000n) as DomainError;
    return { status: e.status, code: e.code, details: e.details };
  };

  it.each([
    ['station_not_found', { stationId: 's' }, { status: 404, code: 'CATALOG.STATION_NOT_FOUND' }],
    ['commodity_not_found', { commodityId: 'c' }, { status: 404, code: 'CATALOG.COMMODITY_NOT_FOUND' }],
    [
      'volume_exceeded',
      { volume: 6000.5 },
      { status: 422, code: 'CARGO.VOLUME_EXCEEDED', details: { volume: 6000.5, maxVolume: 5000 } },
    ],
    [
      'insufficient_stock',
      { commodityId: 'ore', sku: 'ORE-1' },
      {
        status: 409,
        code: 'INVENTORY.INSUFFICIENT_STOCK',
        details: { stationId: 'origin', commodityId: 'ore', sku: 'ORE-1', requested: 7 },
      },
    ],
    [
      'station_capacity',
      { stationId: 'b' },
      { status: 409, code: 'STATION.CAPACITY_EXCEEDED', details: { stationId: 'b' } },
    ],
  ] as const)('answers %s with its error', (kind, detail, expected) => {
    expect(answer(kind, detail)).toMatchObject(expected);
  });
});
