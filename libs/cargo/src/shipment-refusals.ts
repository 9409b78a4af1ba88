import { NotFoundError, pgError, UnprocessableError } from '@itn/core';
import {
  InsufficientStockError,
  LineQuantity,
  milliToNumber,
  StationCapacityError,
  type MilliM3,
} from '@itn/inventory';

/**
 * What create_shipment() (and the functions it runs) may refuse, and the error each refusal is
 * answered with: the one place that maps the SQL's refusals to the API's.
 */
const REFUSALS = {
  ITN_STATION_NOT_FOUND: 'station_not_found',
  ITN_COMMODITY_NOT_FOUND: 'commodity_not_found',
  ITN_VOLUME_EXCEEDED: 'volume_exceeded',
  ITN_INSUFFICIENT_STOCK: 'insufficient_stock',
  ITN_STATION_CAPACITY: 'station_capacity',
} as const;
export type ShipmentRefusalKind = (typeof REFUSALS)[keyof typeof REFUSALS];

/** What a refusal names (its DETAIL); which fields depends on the kind. */
export interface ShipmentRefusalDetail {
  stationId?: string;
  commodityId?: string;
  sku?: string;
  /** The shipment's volume in m³. */
  volume?: number;
}

export interface ShipmentRefusal {
  kind: ShipmentRefusalKind;
  detail: ShipmentRefusalDetail;
}

/** The refusal a statement raised (P0001 with a HINT naming it and a JSON DETAIL), if it was one. */
export function shipmentRefusalOf(error: unknown): ShipmentRefusal | undefined {
  const info = pgError(error);
  if (info?.code !== 'P0001' || !info.detail || !info.hint || !(info.hint in REFUSALS)) return undefined;
  return {
    kind: REFUSALS[info.hint as keyof typeof REFUSALS],
    detail: JSON.parse(info.detail) as ShipmentRefusalDetail,
  };
}

/** The API's error for a refusal of the shipment `request`. */
export function shipmentRefusalError(
  { kind, detail }: ShipmentRefusal,
  request: { originStationId: string; lines: LineQuantity[] },
  maxVolume: MilliM3,
): Error {
  switch (kind) {
    case 'station_not_found':
      return new NotFoundError('CATALOG.STATION_NOT_FOUND', `Station ${detail.stationId} does not exist`);
    case 'commodity_not_found':
      return new NotFoundError('CATALOG.COMMODITY_NOT_FOUND', `Commodity ${detail.commodityId} does not exist`);
    case 'volume_exceeded': {
      const [volume, max] = [Number(detail.volume), milliToNumber(maxVolume)];
      return new UnprocessableError(
        'CARGO.VOLUME_EXCEEDED',
        `The shipment's volume (${volume} m³) exceeds the maximum of ${max} m³`,
        { volume, maxVolume: max },
      );
    }
    case 'insufficient_stock':
      return new InsufficientStockError({
        stationId: request.originStationId,
        commodityId: detail.commodityId!,
        sku: detail.sku,
        requested: request.lines.find((l) => l.commodityId === detail.commodityId)?.quantity,
      });
    case 'station_capacity':
      return new StationCapacityError(detail.stationId!);
  }
}
