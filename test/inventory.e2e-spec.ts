import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';
import { waitFor } from './helpers/invariants';
import request from 'supertest';

describe('Inventory (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let member: Actor;
  let outsider: Actor;
  let w: World;
  const ghost = '01900000-0000-7000-8000-000000000000';

  beforeAll(async () => {
    t = await createTestApp();
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE', 'ICE', 'GAS', 'FOOD'] });
    member = await createActor(t, 'trader', [w.stations.A]);
    outsider = await createActor(t, 'trader', [w.stations.B]);
  });
  afterAll(() => t.close());

  const adjust = (who: Actor, station: string, body: object) =>
    who.post(`/api/inventory/${station}/adjustments`).send(body);

  it('adds and removes stock, writing a ledger row and an event for each change', async () => {
    const first = await adjust(member, w.stations.A, {
      commodityId: w.commodities.ORE,
      delta: 500,
      reason: 'Opening stock',
    }).expect(201);
    expect(first.body.level).toMatchObject({
      commodityId: w.commodities.ORE,
      onHand: 500,
      reserved: 0,
      available: 500,
      incoming: 0,
    });
    expect(first.body.ledgerEntry).toMatchObject({
      delta: 500,
      balanceAfter: 500,
      reason: 'adjustment',
      note: 'Opening stock',
      actorId: member.id,
    });

    const second = await adjust(member, w.stations.A, {
      commodityId: w.commodities.ORE,
      delta: -120,
      reason: 'Spoilage',
    }).expect(201);
    expect(second.body.level).toMatchObject({ onHand: 380, available: 380 });

    const inventory = await member.get(`/api/inventory/${w.stations.A}`).expect(200);
    expect(inventory.body).toEqual({
      stationId: w.stations.A,
      items: [
        expect.objectContaining({
          commodityId: w.commodities.ORE,
          onHand: 380,
          reserved: 0,
          available: 380,
          incoming: 0,
          sku: expect.any(String),
          name: 'ORE',
        }),
      ],
      updatedAt: expect.any(String),
    });

    const events = await t.dataSource.query(
      `SELECT type, station_ids, payload FROM events WHERE payload->>'commodityId' = $1 ORDER BY id`,
      [w.commodities.ORE],
    );
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({
      type: 'inventory.changed',
      station_ids: [w.stations.A],
      payload: { onHand: 380, delta: -120 },
    });
  });

  it('never goes below what is reserved: 409 and nothing written', async () => {
    await adjust(admin, w.stations.A, { commodityId: w.commodities.ICE, delta: 100, reason: 'Stock' }).expect(201);
    await t.dataSource.query('UPDATE stock_levels SET reserved = 60 WHERE station_id = $1 AND commodity_id = $2', [
      w.stations.A,
      w.commodities.ICE,
    ]);
    const ledgerBefore = await t.dataSource.query('SELECT count(*)::int AS n FROM stock_ledger');
    const eventsBefore = await t.dataSource.query('SELECT count(*)::int AS n FROM events');

    const res = await adjust(member, w.stations.A, {
      commodityId: w.commodities.ICE,
      delta: -41,
      reason: 'Too much',
    }).expect(409);
    expectErrorFormat(res.body, 409, 'INVENTORY.INSUFFICIENT_STOCK');
    await adjust(member, w.stations.A, { commodityId: w.commodities.ICE, delta: -40, reason: 'Just enough' }).expect(
      201,
    );
    // A level that does not exist yet cannot go negative either.
    expectErrorFormat(
      (await adjust(member, w.stations.A, { commodityId: w.commodities.GAS, delta: -1, reason: 'x' }).expect(409)).body,
      409,
      'INVENTORY.INSUFFICIENT_STOCK',
    );

    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM stock_ledger'))[0].n).toBe(ledgerBefore[0].n + 1);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM events'))[0].n).toBe(eventsBefore[0].n + 1);
  });

  it.each([
    ['zero delta', { delta: 0, reason: 'x' }],
    ['fractional delta', { delta: 1.5, reason: 'x' }],
    ['absurd delta', { delta: 1e12, reason: 'x' }],
    ['absurd negative delta', { delta: -1e12, reason: 'x' }],
    ['delta as string', { delta: '5', reason: 'x' }],
    ['missing reason', { delta: 5 }],
    ['blank reason', { delta: 5, reason: '   ' }],
    ['huge reason', { delta: 5, reason: 'x'.repeat(201) }],
    ['bad commodity id', { delta: 5, reason: 'x', commodityId: 'ore' }],
    ['unknown field', { delta: 5, reason: 'x', onHand: 10 }],
  ])('refuses %s with 400', async (_name, body) => {
    const res = await adjust(member, w.stations.A, { commodityId: w.commodities.ORE, ...body }).expect(400);
    expectErrorFormat(res.body, 400, 'VALIDATION.FAILED');
  });

  it('answers 404 for an unknown commodity or station', async () => {
    expectErrorFormat(
      (await adjust(admin, w.stations.A, { commodityId: ghost, delta: 5, reason: 'x' }).expect(404)).body,
      404,
      'CATALOG.COMMODITY_NOT_FOUND',
    );
    expectErrorFormat(
      (await adjust(admin, ghost, { commodityId: w.commodities.ORE, delta: 5, reason: 'x' }).expect(404)).body,
      404,
      'CATALOG.STATION_NOT_FOUND',
    );
    expectErrorFormat((await admin.get(`/api/inventory/${ghost}`).expect(404)).body, 404, 'CATALOG.STATION_NOT_FOUND');
    expectErrorFormat((await admin.get('/api/inventory/not-a-uuid').expect(400)).body, 400);
  });

  it('refuses a trader of another station on every inventory route', async () => {
    expectErrorFormat(
      (await outsider.get(`/api/inventory/${w.stations.A}`).expect(403)).body,
      403,
      'AUTH.STATION_FORBIDDEN',
    );
    expectErrorFormat((await outsider.get(`/api/inventory/${w.stations.A}/ledger`).expect(403)).body, 403);
    expectErrorFormat(
      (await adjust(outsider, w.stations.A, { commodityId: w.commodities.ORE, delta: 5, reason: 'x' }).expect(403))
        .body,
      403,
    );
    await outsider.get(`/api/inventory/${w.stations.B}`).expect(200);
  });

  it('takes a station id in upper case as the same station, and sees its changes', async () => {
    const upper = `/api/inventory/${w.stations.A.toUpperCase()}`;
    const first = await member.get(upper).expect(200);
    expect(first.body.stationId).toBe(w.stations.A);
    const onHand = (body: { items: { commodityId: string; onHand: number }[] }) =>
      body.items.find((i) => i.commodityId === w.commodities.ORE)?.onHand ?? 0;
    // Changed through another instance: only the event log tells this one.
    const other = await createTestApp();
    try {
      await request(other.url)
        .post(`/api/inventory/${w.stations.A}/adjustments`)
        .set('Authorization', `Bearer ${admin.accessToken}`)
        .send({ commodityId: w.commodities.ORE, delta: 3, reason: 'x' })
        .expect(201);
    } finally {
      await other.close();
    }
    await waitFor(
      async () => (await member.get(upper).expect(200)).body,
      (body) => onHand(body) === onHand(first.body) + 3,
      { timeoutMs: 10_000 },
    );
  });

  it('serves a strong ETag, 304 on If-None-Match, and a new ETag after any change', async () => {
    const first = await member.get(`/api/inventory/${w.stations.A}`).expect(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const cached = await member.get(`/api/inventory/${w.stations.A}`).set('If-None-Match', etag).expect(304);
    expect(cached.text).toBe('');
    await member.get(`/api/inventory/${w.stations.A}`).set('If-None-Match', '"stale"').expect(200);

    await adjust(member, w.stations.A, { commodityId: w.commodities.ORE, delta: 1, reason: 'x' }).expect(201);
    const changed = await member.get(`/api/inventory/${w.stations.A}`).set('If-None-Match', etag).expect(200);
    expect(changed.headers.etag).not.toBe(etag);
    // Reserved moving alone changes it too: a shipment reserves stock, and the event of that
    // change (made elsewhere, as a worker would) reaches this instance through the event log.
    const slowClock = await createTestApp({ SIM_TIME_SCALE: '1' });
    try {
      const ship = await request(slowClock.url)
        .post('/api/cargo')
        .set('Authorization', `Bearer ${admin.accessToken}`)
        .send({
          originStationId: w.stations.A,
          destinationStationId: w.stations.B,
          items: [{ commodityId: w.commodities.ORE, quantity: 1 }],
        })
        .expect(201);
      expect(ship.body.status).toBe('scheduled');
    } finally {
      await slowClock.close();
    }
    const again = await waitFor(
      () => member.get(`/api/inventory/${w.stations.A}`).set('If-None-Match', changed.headers.etag),
      (res) => res.status === 200,
      { timeoutMs: 10_000 },
    );
    expect(again.headers.etag).not.toBe(changed.headers.etag);
    expect(
      JSON.parse(again.text).items.find((i: { commodityId: string }) => i.commodityId === w.commodities.ORE).reserved,
    ).toBeGreaterThan(0);
  });

  it('pages the ledger newest first and filters by commodity', async () => {
    for (let i = 1; i <= 5; i++)
      await adjust(member, w.stations.A, { commodityId: w.commodities.FOOD, delta: i, reason: `r${i}` }).expect(201);
    const first = await member
      .get(`/api/inventory/${w.stations.A}/ledger`)
      .query({ commodityId: w.commodities.FOOD, limit: 3 })
      .expect(200);
    expect(first.body.items.map((e: { delta: number }) => e.delta)).toEqual([5, 4, 3]);
    const second = await member
      .get(`/api/inventory/${w.stations.A}/ledger`)
      .query({ commodityId: w.commodities.FOOD, limit: 3, cursor: first.body.nextCursor })
      .expect(200);
    expect(second.body.items.map((e: { delta: number }) => e.delta)).toEqual([2, 1]);
    expect(second.body.nextCursor).toBeNull();
    const all = await member.get(`/api/inventory/${w.stations.A}/ledger`).query({ limit: 100 }).expect(200);
    expect(new Set(all.body.items.map((e: { commodityId: string }) => e.commodityId)).size).toBeGreaterThan(1);
    expectErrorFormat(
      (await member.get(`/api/inventory/${w.stations.A}/ledger`).query({ limit: 1000 }).expect(400)).body,
      400,
    );
  });

  it('keeps the books exact under 200 concurrent adjustments of one level', async () => {
    const station = w.stations.B;
    const commodity = w.commodities.ORE;
    await adjust(admin, station, { commodityId: commodity, delta: 100, reason: 'Opening' }).expect(201);
    await t.dataSource.query('UPDATE stock_levels SET reserved = 30 WHERE station_id = $1 AND commodity_id = $2', [
      station,
      commodity,
    ]);

    // Deterministic mix: more removals than additions, so many must be refused.
    const deltas = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 15 + (i % 7) : -(10 + (i % 11))));
    const results = await Promise.all(
      deltas.map((delta) => adjust(outsider, station, { commodityId: commodity, delta, reason: 'race' })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const accepted = deltas.filter((_, i) => statuses[i] === 201);
    expect(accepted.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);

    const [level] = await t.dataSource.query(
      'SELECT on_hand::int, reserved::int FROM stock_levels WHERE station_id = $1 AND commodity_id = $2',
      [station, commodity],
    );
    expect(level.on_hand).toBe(100 + accepted.reduce((a, b) => a + b, 0));
    expect(level.on_hand).toBeGreaterThanOrEqual(level.reserved);

    const ledger: { delta: number; balance_after: number }[] = await t.dataSource.query(
      'SELECT delta::int, balance_after::int FROM stock_ledger WHERE station_id = $1 AND commodity_id = $2 ORDER BY id',
      [station, commodity],
    );
    expect(ledger).toHaveLength(accepted.length + 1);
    let running = 0;
    for (const row of ledger) {
      running += row.delta;
      expect(row.balance_after).toBe(running);
      expect(row.balance_after).toBeGreaterThanOrEqual(30);
    }
    expect(ledger[ledger.length - 1].balance_after).toBe(level.on_hand);

    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM events WHERE type = 'inventory.changed' AND payload->>'stationId' = $1 AND payload->>'commodityId' = $2`,
      [station, commodity],
    );
    expect(n).toBe(accepted.length + 1);
  });

  it('holds sum(delta) == onHand for every level in the database', async () => {
    const broken = await t.dataSource.query(
      `SELECT l.station_id, l.commodity_id FROM stock_levels l
         LEFT JOIN (SELECT station_id, commodity_id, sum(delta) AS total FROM stock_ledger GROUP BY 1, 2) s
           USING (station_id, commodity_id)
        WHERE coalesce(s.total, 0) <> l.on_hand`,
    );
    expect(broken).toEqual([]);
  });

  it("refuses stock beyond the station's storage capacity", async () => {
    const tiny = await admin
      .post('/api/stations')
      .send({ code: `CAP-${Date.now() % 100000}`, name: 'Tiny', planetId: w.planetId, storageCapacity: 10 })
      .expect(201);
    await adjust(admin, tiny.body.id, { commodityId: w.commodities.ORE, delta: 10, reason: 'fill' }).expect(201);
    const res = await adjust(admin, tiny.body.id, {
      commodityId: w.commodities.ORE,
      delta: 1,
      reason: 'overfill',
    }).expect(409);
    expectErrorFormat(res.body, 409, 'STATION.CAPACITY_EXCEEDED');
    await adjust(admin, tiny.body.id, { commodityId: w.commodities.ORE, delta: -4, reason: 'make room' }).expect(201);
    await adjust(admin, tiny.body.id, { commodityId: w.commodities.ORE, delta: 4, reason: 'refill' }).expect(201);
  });

  it('refuses to edit or delete ledger rows', async () => {
    await expect(t.dataSource.query('UPDATE stock_ledger SET delta = 1000000')).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query('DELETE FROM stock_ledger')).rejects.toThrow(/append-only/);
  });
});
