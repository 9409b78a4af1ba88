import { ShipmentsService } from '@itn/cargo';
import { eventDataFaults, EVENT_TYPES, INVENTORY_CHANGE_REASONS } from '@itn/events';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Actor, createActor } from './helpers/auth';
import { expectBooksBalanced } from './helpers/invariants';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

interface Refusal {
  code?: string;
  hint?: string;
  detail?: string;
}

/** The database-level contract of each feature's SQL functions, called as the service calls them. */
describe("The features' SQL functions (e2e, database level)", () => {
  let t: TestApp;
  let admin: Actor;
  let w: World;
  let firstEventId: string;

  beforeAll(async () => {
    // Simulated time at real speed: nothing moves unless a test moves it.
    t = await createTestApp({ SIM_TIME_SCALE: '1' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B', 'SMALL'], commodities: ['ORE', 'ICE', 'GAS'] });
    await t.dataSource.query(`UPDATE stations SET storage_capacity = 10 WHERE id = $1`, [w.stations.SMALL]);
    [{ id: firstEventId }] = await t.dataSource.query(`SELECT coalesce(max(id), 0)::text AS id FROM events`);
    for (const c of ['ORE', 'ICE']) {
      await admin
        .post(`/api/inventory/${w.stations.A}/adjustments`)
        .send({ commodityId: w.commodities[c], delta: 100, reason: 'stock' })
        .expect(201);
    }
  });
  afterAll(() => t.close());

  const items = (...lines: [string, number][]) =>
    JSON.stringify(lines.map(([c, quantity]) => ({ commodity_id: w.commodities[c], quantity })));
  const level = async (station: string, commodity: string) =>
    (
      await t.dataSource.query<{ on_hand: string; reserved: string; incoming: string }[]>(
        `SELECT on_hand, reserved, incoming FROM stock_levels WHERE station_id = $1 AND commodity_id = $2`,
        [w.stations[station], w.commodities[commodity]],
      )
    )[0];
  const committed = async (station: string) =>
    Number(
      (await t.dataSource.query(`SELECT committed_volume FROM stations WHERE id = $1`, [w.stations[station]]))[0]
        .committed_volume,
    );
  /** Runs `sql` in a transaction that is rolled back; answers its refusal, if it raised one. */
  const refusalOf = async (sql: string, params: unknown[]): Promise<Refusal | undefined> => {
    try {
      await t.dataSource.transaction(async (tx: EntityManager) => {
        await tx.query(sql, params);
        throw new Error('rollback');
      });
    } catch (e) {
      const driver = ((e as { driverError?: Refusal }).driverError ?? e) as Refusal;
      return driver.code === 'P0001' ? driver : undefined;
    }
  };
  const shipmentParams = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      origin: w.stations.A,
      destination: w.stations.B,
      items: JSON.parse(items(['ORE', 1])),
      created_by: admin.id,
      trade_id: null,
      max_volume: '5000.000',
      speed_km_s: 1000,
      time_scale: 1,
      loading_ms: 3_600_000,
      ...over,
    });

  describe('inventory_commit_volume(): the capacity rule', () => {
    it('takes in volume up to the capacity and no more, gives it back always, and passes over it when told', async () => {
      const commit = async (delta: number, enforce = true) =>
        (
          await t.dataSource.query(`SELECT inventory_commit_volume($1, $2, $3) AS ok`, [
            w.stations.SMALL,
            delta,
            enforce,
          ])
        )[0].ok as boolean;
      expect(await commit(10)).toBe(true);
      expect(await committed('SMALL')).toBe(10);
      expect(await commit(0.001)).toBe(false);
      expect(await committed('SMALL')).toBe(10);
      expect(await commit(5, false)).toBe(true);
      expect(await commit(-15)).toBe(true);
      expect(await committed('SMALL')).toBe(0);
    });
  });

  describe('inventory_reserve()', () => {
    it('reserves every line or none: a short line refuses with its commodity and sku', async () => {
      const before = await level('A', 'ORE');
      const refusal = await refusalOf(`SELECT inventory_reserve($1, $2, $3::jsonb, 1)`, [
        w.stations.A,
        w.stations.B,
        items(['ORE', 5], ['GAS', 1]),
      ]);
      expect(refusal).toMatchObject({ hint: 'ITN_INSUFFICIENT_STOCK' });
      expect(JSON.parse(refusal!.detail!)).toEqual({
        commodityId: w.commodities.GAS,
        sku: expect.stringContaining('GAS'),
      });
      expect(await level('A', 'ORE')).toEqual(before);
    });

    it('refuses a destination without room, with its id, after reserving nothing', async () => {
      const refusal = await refusalOf(`SELECT inventory_reserve($1, $2, $3::jsonb, 11)`, [
        w.stations.A,
        w.stations.SMALL,
        items(['ORE', 11]),
      ]);
      expect(refusal).toMatchObject({ hint: 'ITN_STATION_CAPACITY' });
      expect(JSON.parse(refusal!.detail!)).toEqual({ stationId: w.stations.SMALL });
      expect((await level('A', 'ORE')).reserved).toBe('0');
    });

    it('locks levels in commodity order: opposite line orders side by side never deadlock', async () => {
      const orders = Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0 ? items(['ORE', 1], ['ICE', 1]) : items(['ICE', 1], ['ORE', 1]),
      );
      const results = await Promise.allSettled(
        orders.map((lines) =>
          t.dataSource.query(`SELECT * FROM create_shipment($1::jsonb)`, [
            shipmentParams({ items: JSON.parse(lines) }),
          ]),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
      expect(await level('A', 'ORE')).toMatchObject({ reserved: '24' });
      await expectBooksBalanced(t.dataSource);
    });
  });

  describe('create_shipment()', () => {
    it.each([
      ['an unknown origin', () => ({ origin: randomUUID() }), 'ITN_STATION_NOT_FOUND', 'stationId'],
      ['an unknown destination', () => ({ destination: randomUUID() }), 'ITN_STATION_NOT_FOUND', 'stationId'],
      [
        'an unknown commodity',
        () => ({ items: [{ commodity_id: randomUUID(), quantity: 1 }] }),
        'ITN_COMMODITY_NOT_FOUND',
        'commodityId',
      ],
      ['too much volume', () => ({ max_volume: '0.500' }), 'ITN_VOLUME_EXCEEDED', 'volume'],
    ])('refuses %s, naming it, and writes nothing', async (_what, over, hint, field) => {
      const [{ n: before }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM shipments`);
      const refusal = await refusalOf(`SELECT * FROM create_shipment($1::jsonb)`, [shipmentParams(over())]);
      expect(refusal).toMatchObject({ hint });
      expect(Object.keys(JSON.parse(refusal!.detail!))).toEqual([field]);
      const [{ n: after }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM shipments`);
      expect(after).toBe(before);
    });

    it("writes the shipment's event, then inventory's, in one statement", async () => {
      const [{ id: last }] = await t.dataSource.query(`SELECT max(id)::text AS id FROM events`);
      const [shipment] = await t.dataSource.query(`SELECT * FROM create_shipment($1::jsonb)`, [
        shipmentParams({ items: JSON.parse(items(['ICE', 2], ['ORE', 1])) }),
      ]);
      const events = await t.dataSource.query<{ type: string; payload: Record<string, unknown> }[]>(
        `SELECT type, payload FROM events WHERE id > $1 ORDER BY id`,
        [last],
      );
      const [ore, ice] = [w.commodities.ORE, w.commodities.ICE].sort();
      expect(events.map((e) => [e.type, e.payload.shipmentId ?? e.payload.commodityId])).toEqual([
        ['shipment.status_changed', shipment.id],
        ['inventory.changed', ore],
        ['inventory.changed', ice],
      ]);
    });
  });

  describe('create_trade()', () => {
    it('stores the trade and its lines with the shipment that carries them, then trade.created', async () => {
      const tradeId = randomUUID();
      const [{ id: last }] = await t.dataSource.query(`SELECT max(id)::text AS id FROM events`);
      const lines = [{ commodityId: w.commodities.ORE, quantity: 3, unitPrice: 7 }];
      const [shipment] = await t.dataSource.query(`SELECT * FROM create_trade($1::jsonb)`, [
        JSON.stringify({
          ...JSON.parse(shipmentParams({ items: JSON.parse(items(['ORE', 3])), trade_id: tradeId })),
          trade: { total_price: 21, lines },
        }),
      ]);
      expect(shipment.trade_id).toBe(tradeId);
      const [trade] = await t.dataSource.query(`SELECT * FROM trades WHERE id = $1`, [tradeId]);
      expect(trade).toMatchObject({ shipment_id: shipment.id, total_price: '21', status: 'pending' });
      const types = await t.dataSource.query<{ type: string }[]>(`SELECT type FROM events WHERE id > $1 ORDER BY id`, [
        last,
      ]);
      expect(types.map((e) => e.type)).toEqual(['shipment.status_changed', 'inventory.changed', 'trade.created']);
    });

    it("passes create_shipment()'s refusals through and stores no trade", async () => {
      const tradeId = randomUUID();
      const refusal = await refusalOf(`SELECT * FROM create_trade($1::jsonb)`, [
        JSON.stringify({
          ...JSON.parse(shipmentParams({ items: JSON.parse(items(['GAS', 1])), trade_id: tradeId })),
          trade: { total_price: 1, lines: [{ commodityId: w.commodities.GAS, quantity: 1, unitPrice: 1 }] },
        }),
      ]);
      expect(refusal).toMatchObject({ hint: 'ITN_INSUFFICIENT_STOCK' });
      expect(await t.dataSource.query(`SELECT 1 FROM trades WHERE id = $1`, [tradeId])).toHaveLength(0);
    });
  });

  it('writes every event, from TypeScript or SQL, exactly in the shape event-types.ts gives it', async () => {
    // Every path that writes events: adjustments, trades and shipments through each step and
    // ending, and access changes.
    const trader = await createActor(t, 'trader', [w.stations.A]);
    const shipments = t.app.get(ShipmentsService);
    const trade = async () =>
      (
        await trader
          .post('/api/trades')
          .send({
            sellerStationId: w.stations.A,
            buyerStationId: w.stations.B,
            items: [{ commodityId: w.commodities.ICE, quantity: 1, unitPrice: 2 }],
          })
          .expect(201)
      ).body as { transactionId: string; shipmentId: string };
    const delivered = await trade();
    await shipments.dispatch(delivered.shipmentId);
    await shipments.deliver(delivered.shipmentId);
    const cancelled = await trade();
    await trader.post(`/api/trades/${cancelled.transactionId}/cancel`).expect(200);
    await shipments.fail((await trade()).shipmentId, 'test: failed while scheduled');
    const returned = await trade();
    await shipments.dispatch(returned.shipmentId);
    await shipments.fail(returned.shipmentId, 'test: failed in transit');
    await admin.delete(`/api/stations/${w.stations.A}/members/${trader.id}`).expect(204);

    const events = await t.dataSource.query<{ id: string; type: string; payload: unknown }[]>(
      `SELECT id::text, type, payload FROM events WHERE id > $1 ORDER BY id`,
      [firstEventId],
    );
    const faults = events.flatMap((e) => eventDataFaults(e.type, e.payload).map((f) => `event ${e.id}: ${f}`));
    expect(faults).toEqual([]);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    const reasons = new Set(
      events.flatMap((e) => (e.type === 'inventory.changed' ? [(e.payload as { reason: string }).reason] : [])),
    );
    expect(reasons).toEqual(new Set(INVENTORY_CHANGE_REASONS));
    await expectBooksBalanced(t.dataSource);
  });
});
