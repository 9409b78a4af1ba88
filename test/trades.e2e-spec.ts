import { randomUUID } from 'node:crypto';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { expectBooksBalanced, waitFor } from './helpers/invariants';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

const ghost = '01900000-0000-7000-8000-000000000000';

async function levelOf(t: TestApp, station: string, commodity: string) {
  const [row] = await t.dataSource.query(
    'SELECT on_hand::int AS "onHand", reserved::int, incoming::int FROM stock_levels WHERE station_id = $1 AND commodity_id = $2',
    [station, commodity],
  );
  return row as { onHand: number; reserved: number; incoming: number };
}

describe('Trades (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let seller: Actor;
  let buyer: Actor;
  let w: World;

  beforeAll(async () => {
    t = await createTestApp();
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['S', 'B', 'X', 'Y'], commodities: ['ORE', 'ICE', 'GAS', 'LAST'] });
    seller = await createActor(t, 'trader', [w.stations.S]);
    buyer = await createActor(t, 'trader', [w.stations.B]);
    for (const c of ['ORE', 'ICE', 'GAS']) {
      await admin
        .post(`/api/inventory/${w.stations.S}/adjustments`)
        .send({ commodityId: w.commodities[c], delta: 1000, reason: 'stock' })
        .expect(201);
    }
    await admin
      .post(`/api/inventory/${w.stations.S}/adjustments`)
      .send({ commodityId: w.commodities.LAST, delta: 10, reason: 'stock' })
      .expect(201);
  });
  afterAll(() => t.close());

  const trade = (who: Actor, items: object[], opts: { from?: string; to?: string; key?: string } = {}) => {
    const req = who.post('/api/trades');
    if (opts.key) req.set('Idempotency-Key', opts.key);
    return req.send({ sellerStationId: opts.from ?? w.stations.S, buyerStationId: opts.to ?? w.stations.B, items });
  };

  it("refuses a buyer-side member who would take the seller's goods, whatever the price, and writes nothing", async () => {
    const count = async () => (await t.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM trades'))[0].n;
    const tradesBefore = await count();
    for (const unitPrice of [0, 1, 1_000_000]) {
      const res = await trade(buyer, [{ commodityId: w.commodities.ORE, quantity: 5, unitPrice }], {
        key: randomUUID(),
      }).expect(403);
      expectErrorFormat(res.body, 403, 'TRADE.SELLER_ONLY');
    }
    // A member of both sides may sell from the one they belong to.
    const both = await createActor(t, 'trader', [w.stations.S, w.stations.X]);
    await trade(both, [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1 }], { to: w.stations.X }).expect(
      201,
    );
    // The seller's member cannot sell the buyer station's goods either.
    const reversed = await trade(seller, [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 0 }], {
      from: w.stations.B,
      to: w.stations.S,
    }).expect(403);
    expectErrorFormat(reversed.body, 403, 'TRADE.SELLER_ONLY');
    expect(await count()).toBe(tradesBefore + 1);
    const [{ n }] = await t.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM trades WHERE created_by = $1',
      [buyer.id],
    );
    expect(n).toBe(0);
  });

  it('creates a trade that reserves stock, and the real worker delivers it to the buyer', async () => {
    const buyerBefore = await levelOf(t, w.stations.B, w.commodities.ORE);
    const res = await trade(seller, [
      { commodityId: w.commodities.ORE, quantity: 12, unitPrice: 150 },
      { commodityId: w.commodities.ICE, quantity: 3, unitPrice: 20 },
    ]).expect(201);
    expect(res.body).toEqual({
      transactionId: expect.any(String),
      status: 'pending',
      sellerStationId: w.stations.S,
      buyerStationId: w.stations.B,
      items: expect.arrayContaining([
        { commodityId: w.commodities.ORE, quantity: 12, unitPrice: 150, lineTotal: 1800 },
        { commodityId: w.commodities.ICE, quantity: 3, unitPrice: 20, lineTotal: 60 },
      ]),
      totalPrice: 1860,
      shipmentId: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const shipment = await buyer.get(`/api/cargo/${res.body.shipmentId}`).expect(200);
    expect(shipment.body.tradeId).toBe(res.body.transactionId);

    const done = await waitFor(
      async () => (await seller.get(`/api/trades/${res.body.transactionId}`).expect(200)).body,
      (b) => b.status === 'completed',
    );
    expect(done.totalPrice).toBe(1860);
    expect(await levelOf(t, w.stations.B, w.commodities.ORE)).toEqual({
      onHand: (buyerBefore?.onHand ?? 0) + 12,
      reserved: 0,
      incoming: 0,
    });
    const statuses = await t.dataSource.query(
      `SELECT type, payload->>'status' AS status FROM events WHERE payload->>'transactionId' = $1 ORDER BY id`,
      [res.body.transactionId],
    );
    expect(statuses).toEqual([
      { type: 'trade.created', status: 'pending' },
      { type: 'trade.status_changed', status: 'in_transit' },
      { type: 'trade.status_changed', status: 'completed' },
    ]);
    await expectBooksBalanced(t.dataSource);
  });

  it('never oversells: 50 concurrent trades for the last 10 units', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => trade(admin, [{ commodityId: w.commodities.LAST, quantity: 1, unitPrice: 5 }])),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    for (const r of results.filter((x) => x.status === 409))
      expectErrorFormat(r.body, 409, 'INVENTORY.INSUFFICIENT_STOCK');
    const level = await levelOf(t, w.stations.S, w.commodities.LAST);
    expect(level.reserved).toBeLessThanOrEqual(level.onHand);
    expect(level.onHand - level.reserved).toBeGreaterThanOrEqual(0);
    await expectBooksBalanced(t.dataSource);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM trade_lines WHERE commodity_id = $1`, [
      w.commodities.LAST,
    ]);
    expect(n).toBe(10);
  });

  it('reserves all lines or none: one short line leaves every line untouched', async () => {
    const before = {
      ore: await levelOf(t, w.stations.S, w.commodities.ORE),
      gas: await levelOf(t, w.stations.S, w.commodities.GAS),
    };
    const res = await trade(seller, [
      { commodityId: w.commodities.ORE, quantity: 5, unitPrice: 1 },
      { commodityId: w.commodities.GAS, quantity: 1001, unitPrice: 1 },
    ]).expect(409);
    expectErrorFormat(res.body, 409, 'INVENTORY.INSUFFICIENT_STOCK');
    expect(res.body.details.commodityId).toBe(w.commodities.GAS);
    expect(res.body.message).toContain('GAS');
    expect(await levelOf(t, w.stations.S, w.commodities.ORE)).toEqual(before.ore);
    expect(await levelOf(t, w.stations.S, w.commodities.GAS)).toEqual(before.gas);
  });

  describe('idempotency keys', () => {
    const line = () => [{ commodityId: w.commodities.ICE, quantity: 1, unitPrice: 7 }];

    it('20 concurrent requests with one key make exactly one trade', async () => {
      const key = randomUUID();
      const results = await Promise.all(Array.from({ length: 20 }, () => trade(seller, line(), { key })));
      const ok = results.filter((r) => r.status === 201);
      const conflicts = results.filter((r) => r.status === 409);
      expect(ok.length + conflicts.length).toBe(20);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(new Set(ok.map((r) => r.body.transactionId)).size).toBe(1);
      for (const r of conflicts) expectErrorFormat(r.body, 409, 'IDEMPOTENCY.IN_PROGRESS');
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM trades WHERE created_by = $1 AND total_price = 7`,
        [seller.id],
      );
      expect(n).toBe(1);

      const replay = await trade(seller, line(), { key }).expect(201);
      expect(replay.body).toEqual(ok[0].body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });

    it('refuses the same key with a different body (422) and scopes keys per user', async () => {
      const key = randomUUID();
      await trade(seller, line(), { key }).expect(201);
      const other = await trade(seller, [{ commodityId: w.commodities.ICE, quantity: 2, unitPrice: 7 }], {
        key,
      }).expect(422);
      expectErrorFormat(other.body, 422, 'IDEMPOTENCY.KEY_REUSED');
      // Another user's identical key is a different key.
      const otherSeller = await createActor(t, 'trader', [w.stations.S]);
      const mine = await trade(otherSeller, line(), { key }).expect(201);
      expect(mine.headers['idempotent-replayed']).toBeUndefined();
    });

    it('replays a business refusal too, and refuses malformed keys', async () => {
      const key = randomUUID();
      const first = await trade(seller, [{ commodityId: w.commodities.LAST, quantity: 1000, unitPrice: 1 }], {
        key,
      }).expect(409);
      const again = await trade(seller, [{ commodityId: w.commodities.LAST, quantity: 1000, unitPrice: 1 }], {
        key,
      }).expect(409);
      expect(again.body).toEqual(first.body);
      expect(first.body.details).toEqual({
        stationId: w.stations.S,
        commodityId: w.commodities.LAST,
        sku: expect.stringMatching(/-LAST$/),
        requested: 1000,
      });
      expectErrorFormat(
        (await trade(seller, line(), { key: 'x'.repeat(256) }).expect(400)).body,
        400,
        'IDEMPOTENCY.INVALID_KEY',
      );
    });

    it('answers many concurrent keyed refusals at once: a refused request needs no second connection', async () => {
      const results = await Promise.all(
        Array.from({ length: 40 }, () =>
          trade(seller, [{ commodityId: w.commodities.LAST, quantity: 1000, unitPrice: 1 }], { key: randomUUID() }),
        ),
      );
      for (const r of results) expectErrorFormat(r.body, 409, 'INVENTORY.INSUFFICIENT_STOCK');
    });

    it('works the same for POST /api/cargo', async () => {
      const key = randomUUID();
      const body = {
        originStationId: w.stations.S,
        destinationStationId: w.stations.X,
        items: [{ commodityId: w.commodities.ORE, quantity: 1 }],
      };
      const first = await admin.post('/api/cargo').set('Idempotency-Key', key).send(body).expect(201);
      const second = await admin.post('/api/cargo').set('Idempotency-Key', key).send(body).expect(201);
      expect(second.body.shipmentId).toBe(first.body.shipmentId);
      expectErrorFormat(
        (
          await admin
            .post('/api/cargo')
            .set('Idempotency-Key', key)
            .send({ ...body, destinationStationId: w.stations.Y })
            .expect(422)
        ).body,
        422,
      );
    });
  });

  it('cancels a pending trade, releasing its reservation and cancelling its shipment; later 409', async () => {
    const slow = await createTestApp({ SIM_TIME_SCALE: '1' });
    try {
      const sellerSlow = await createActor(slow, 'trader', [w.stations.S]);
      const before = await levelOf(slow, w.stations.S, w.commodities.ORE);
      const res = await sellerSlow
        .post('/api/trades')
        .send({
          sellerStationId: w.stations.S,
          buyerStationId: w.stations.X,
          items: [{ commodityId: w.commodities.ORE, quantity: 9, unitPrice: 3 }],
        })
        .expect(201);
      expect((await levelOf(slow, w.stations.S, w.commodities.ORE)).reserved).toBe(before.reserved + 9);
      const cancelled = await sellerSlow.post(`/api/trades/${res.body.transactionId}/cancel`).expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(await levelOf(slow, w.stations.S, w.commodities.ORE)).toEqual(before);
      const shipment = await sellerSlow.get(`/api/cargo/${res.body.shipmentId}`).expect(200);
      expect(shipment.body.status).toBe('cancelled');
      expectErrorFormat(
        (await sellerSlow.post(`/api/trades/${res.body.transactionId}/cancel`).expect(409)).body,
        409,
        'TRADE.NOT_CANCELLABLE',
      );
    } finally {
      await slow.close();
    }
    await expectBooksBalanced(t.dataSource);
  });

  it('writes its events in one transaction, as the API describes the trade, its shipment and the stock', async () => {
    const slow = await createTestApp({ SIM_TIME_SCALE: '1' });
    try {
      const sellerSlow = await createActor(slow, 'trader', [w.stations.S]);
      const [ore, ice] = [w.commodities.ORE, w.commodities.ICE];
      const before = { [ore]: await levelOf(slow, w.stations.S, ore), [ice]: await levelOf(slow, w.stations.S, ice) };
      const res = await sellerSlow
        .post('/api/trades')
        .send({
          sellerStationId: w.stations.S,
          buyerStationId: w.stations.X,
          items: [
            { commodityId: ice, quantity: 4, unitPrice: 7 },
            { commodityId: ore, quantity: 5, unitPrice: 11 },
          ],
        })
        .expect(201);
      const shipment = (await sellerSlow.get(`/api/cargo/${res.body.shipmentId}`).expect(200)).body;
      const events: { type: string; station_ids: string[]; payload: Record<string, unknown> }[] =
        await slow.dataSource.query(
          `SELECT type, station_ids, payload FROM events
            WHERE tx_id = (SELECT tx_id FROM events WHERE type = 'trade.created' AND payload->>'transactionId' = $1)
            ORDER BY id`,
          [res.body.transactionId],
        );
      const parties = [w.stations.S, w.stations.X];
      const reservation = (commodityId: string, quantity: number) => {
        const b = before[commodityId];
        return {
          type: 'inventory.changed',
          station_ids: [w.stations.S],
          payload: {
            stationId: w.stations.S,
            commodityId,
            onHand: b.onHand,
            reserved: b.reserved + quantity,
            available: b.onHand - b.reserved - quantity,
            incoming: b.incoming,
            delta: 0,
            reason: 'reservation',
          },
        };
      };
      expect(events).toEqual([
        {
          type: 'shipment.status_changed',
          station_ids: parties,
          payload: {
            shipmentId: shipment.shipmentId,
            tradeId: res.body.transactionId,
            status: 'scheduled',
            previousStatus: null,
            originStationId: w.stations.S,
            destinationStationId: w.stations.X,
            dispatchAt: shipment.dispatchAt,
            eta: shipment.eta,
            departedAt: null,
            deliveredAt: null,
            at: shipment.timeline[0].at,
          },
        },
        // One per line, in commodity order.
        ...[
          [ice, 4],
          [ore, 5],
        ]
          .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1))
          .map(([c, q]) => reservation(c as string, q as number)),
        { type: 'trade.created', station_ids: parties, payload: res.body },
      ]);
      expect(shipment.createdAt).toBe(res.body.createdAt);
      expect(shipment.timeline[0].at).toBe(res.body.createdAt);
      // S and X are 1 AU apart (the world's stations sit 0.5 AU apart). At the default 1000 km/s
      // and one simulated second per real second: loading 7200 s, then 149,597,870.7 km / 1000.
      const ms = (iso: string) => Date.parse(iso);
      expect(shipment.distanceAu).toBe(1);
      expect(ms(shipment.dispatchAt) - ms(shipment.createdAt)).toBe(7_200_000);
      expect(ms(shipment.eta) - ms(shipment.dispatchAt)).toBe(149_597_871);
      await sellerSlow.post(`/api/trades/${res.body.transactionId}/cancel`).expect(200);
    } finally {
      await slow.close();
    }
    await expectBooksBalanced(t.dataSource);
  });

  describe('bad input and access', () => {
    const good = () => [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1 }];

    it('takes ids in upper case as the same ids', async () => {
      const up = (id: string) => id.toUpperCase();
      const res = await trade(seller, [{ commodityId: up(w.commodities.ORE), quantity: 1, unitPrice: 2 }], {
        from: up(w.stations.S),
        to: up(w.stations.B),
      }).expect(201);
      expect(res.body).toMatchObject({
        sellerStationId: w.stations.S,
        buyerStationId: w.stations.B,
        items: [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 2, lineTotal: 2 }],
      });
      expectErrorFormat(
        (await trade(admin, good(), { from: w.stations.S, to: up(w.stations.S) }).expect(422)).body,
        422,
        'TRADE.SELF_TRADE',
      );
      expectErrorFormat(
        (await trade(admin, [...good(), { ...good()[0], commodityId: up(w.commodities.ORE) }]).expect(400)).body,
        400,
      );
      await expectBooksBalanced(t.dataSource);
    });

    it.each([
      ['no items', () => []],
      [
        '51 lines',
        () => Array.from({ length: 51 }, () => ({ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1 })),
      ],
      ['a repeated commodity', () => [...good(), ...good()]],
      ['quantity 0', () => [{ commodityId: w.commodities.ORE, quantity: 0, unitPrice: 1 }]],
      ['negative price', () => [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: -1 }]],
      ['fractional price', () => [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 0.5 }]],
      ['absurd price', () => [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1e12 }]],
      ['price as string', () => [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: '1' }]],
      ['missing price', () => [{ commodityId: w.commodities.ORE, quantity: 1 }]],
      [
        'an unknown field in a line',
        () => [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1, discount: 5 }],
      ],
    ])('refuses %s with 400', async (_name, items) => {
      expectErrorFormat((await trade(admin, items()).expect(400)).body, 400, 'VALIDATION.FAILED');
    });

    it('refuses a self trade (422), unknown stations and commodities (404)', async () => {
      expectErrorFormat((await trade(admin, good(), { to: w.stations.S }).expect(422)).body, 422, 'TRADE.SELF_TRADE');
      expectErrorFormat((await trade(admin, good(), { to: ghost }).expect(404)).body, 404, 'CATALOG.STATION_NOT_FOUND');
      expectErrorFormat(
        (await trade(admin, [{ commodityId: ghost, quantity: 1, unitPrice: 1 }]).expect(404)).body,
        404,
        'CATALOG.COMMODITY_NOT_FOUND',
      );
      expectErrorFormat(
        (
          await admin
            .post('/api/trades')
            .send({ sellerStationId: 'S', buyerStationId: w.stations.B, items: good() })
            .expect(400)
        ).body,
        400,
      );
    });

    it('lets only members of the seller or buyer trade and see trades', async () => {
      const outsider = await createActor(t, 'trader', [w.stations.Y]);
      expectErrorFormat((await trade(outsider, good()).expect(403)).body, 403, 'AUTH.STATION_FORBIDDEN');
      const res = await trade(seller, good()).expect(201);
      expectErrorFormat(
        (await outsider.get(`/api/trades/${res.body.transactionId}`).expect(404)).body,
        404,
        'TRADE.NOT_FOUND',
      );
      expectErrorFormat((await outsider.post(`/api/trades/${res.body.transactionId}/cancel`).expect(404)).body, 404);
      expectErrorFormat((await outsider.get('/api/trades').query({ stationId: w.stations.S }).expect(403)).body, 403);
      expect((await outsider.get('/api/trades').expect(200)).body.items).toEqual([]);
      await buyer.get(`/api/trades/${res.body.transactionId}`).expect(200);
      const listed = await buyer.get('/api/trades').query({ stationId: w.stations.B, limit: 100 }).expect(200);
      expect(listed.body.items.map((x: { transactionId: string }) => x.transactionId)).toContain(
        res.body.transactionId,
      );
      expectErrorFormat((await admin.get('/api/trades').query({ status: 'sold' }).expect(400)).body, 400);
      expectErrorFormat((await admin.get('/api/trades/123').expect(400)).body, 400);
    });
  });
});
