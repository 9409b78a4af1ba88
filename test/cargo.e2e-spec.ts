import { SHIPMENTS_QUEUE, ShipmentJob, shipmentJobId, ShipmentRelay, ShipmentsProcessor } from '@itn/cargo';
import { QUEUE_SCHEMA } from '@itn/core';
import { EventLogRetention, EventLogSignal } from '@itn/events';
import { getQueueToken } from '@nestjs/bullmq';
import { ConfigService } from '@nestjs/config';
import { Job, PostgresQueueBackend, Queue, UnrecoverableError } from 'bullmq';
import { ChildProcess } from 'node:child_process';
import { freePort } from './helpers/api-process';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { checkBooks, expectBooksBalanced, waitFor } from './helpers/invariants';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { describeEachQueueBackend } from './helpers/test-env';
import { killHard, startWorkerProcess, stopGracefully } from './helpers/worker-process';
import { buildWorld, World } from './helpers/world';

const ghost = '01900000-0000-7000-8000-000000000000';

async function stock(admin: Actor, station: string, commodity: string, delta: number) {
  await admin
    .post(`/api/inventory/${station}/adjustments`)
    .send({ commodityId: commodity, delta, reason: 'stock' })
    .expect(201);
}

async function level(t: TestApp, station: string, commodity: string) {
  const [row] = await t.dataSource.query(
    'SELECT on_hand::int AS "onHand", reserved::int, incoming::int FROM stock_levels WHERE station_id = $1 AND commodity_id = $2',
    [station, commodity],
  );
  return row as { onHand: number; reserved: number; incoming: number } | undefined;
}

const statusOf = (t: TestApp, ids: string[]) =>
  t.dataSource.query<{ status: string; n: number }[]>(
    'SELECT status, count(*)::int AS n FROM shipments WHERE id = ANY($1) GROUP BY status',
    [ids],
  );

describeEachQueueBackend('Cargo with the embedded worker (e2e)', (backend) => {
  let t: TestApp;
  let admin: Actor;
  let trader: Actor;
  let w: World;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_BACKEND: backend });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B', 'C', 'D'], commodities: ['ORE', 'ICE', 'GAS'] });
    trader = await createActor(t, 'trader', [w.stations.A]);
    for (const s of ['A', 'B', 'C', 'D'])
      for (const c of ['ORE', 'ICE', 'GAS']) await stock(admin, w.stations[s], w.commodities[c], 1000);
  });
  afterAll(() => t.close());

  it('moves a shipment through its whole life: stock leaves the origin and arrives at the destination', async () => {
    const before = {
      origin: await level(t, w.stations.A, w.commodities.ORE),
      dest: await level(t, w.stations.B, w.commodities.ORE),
    };
    const res = await trader
      .post('/api/cargo')
      .send({
        originStationId: w.stations.A,
        destinationStationId: w.stations.B,
        items: [
          { commodityId: w.commodities.ORE, quantity: 40 },
          { commodityId: w.commodities.ICE, quantity: 2 },
        ],
      })
      .expect(201);
    expect(res.body).toMatchObject({
      status: 'scheduled',
      originStationId: w.stations.A,
      destinationStationId: w.stations.B,
      volume: 42,
      tradeId: null,
    });
    expect(res.body.timeline).toEqual([{ status: 'scheduled', at: expect.any(String) }]);
    expect(await level(t, w.stations.A, w.commodities.ORE)).toMatchObject({
      onHand: before.origin!.onHand,
      reserved: 40,
    });

    const id = res.body.shipmentId as string;
    const done = await waitFor(
      async () => (await trader.get(`/api/cargo/${id}`).expect(200)).body,
      (s) => s.status === 'delivered',
    );
    expect(done.timeline.map((e: { status: string }) => e.status)).toEqual(['scheduled', 'in_transit', 'delivered']);
    expect(done.departedAt).not.toBeNull();
    expect(done.deliveredAt).not.toBeNull();

    expect(await level(t, w.stations.A, w.commodities.ORE)).toEqual({
      onHand: before.origin!.onHand - 40,
      reserved: 0,
      incoming: 0,
    });
    expect(await level(t, w.stations.B, w.commodities.ORE)).toEqual({
      onHand: before.dest!.onHand + 40,
      reserved: 0,
      incoming: 0,
    });

    const ledger = await t.dataSource.query(
      'SELECT station_id, commodity_id, delta::int, reason FROM stock_ledger WHERE reference_id = $1 ORDER BY id',
      [id],
    );
    expect(ledger).toEqual(
      expect.arrayContaining([
        { station_id: w.stations.A, commodity_id: w.commodities.ORE, delta: -40, reason: 'shipment_dispatch' },
        { station_id: w.stations.B, commodity_id: w.commodities.ORE, delta: 40, reason: 'shipment_delivery' },
      ]),
    );
    expect(ledger).toHaveLength(4);
    const events = await t.dataSource.query(
      `SELECT payload->>'status' AS status FROM events WHERE type = 'shipment.status_changed' AND payload->>'shipmentId' = $1 ORDER BY id`,
      [id],
    );
    expect(events.map((e: { status: string }) => e.status)).toEqual(['scheduled', 'in_transit', 'delivered']);
    await expectBooksBalanced(t.dataSource);

    // Both steps ran as jobs of the backend this run is about, and completed there.
    const queue = t.app.get<Queue>(getQueueToken(SHIPMENTS_QUEUE));
    expect(queue.getBackend() instanceof PostgresQueueBackend).toBe(backend === 'postgres');
    for (const step of [ShipmentJob.Dispatch, ShipmentJob.Arrive] as const) {
      expect(await (await queue.getJob(shipmentJobId(step, id)))?.getState()).toBe('completed');
    }
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'job'`,
      [QUEUE_SCHEMA],
    );
    if (backend === 'postgres') {
      const rows = await t.dataSource.query(`SELECT state FROM "${QUEUE_SCHEMA}".job WHERE queue = $1 AND id = $2`, [
        SHIPMENTS_QUEUE,
        shipmentJobId(ShipmentJob.Arrive, id),
      ]);
      expect(rows).toEqual([{ state: 'completed' }]);
    } else if (n > 0) {
      const rows = await t.dataSource.query(`SELECT 1 FROM "${QUEUE_SCHEMA}".job WHERE id = $1`, [
        shipmentJobId(ShipmentJob.Arrive, id),
      ]);
      expect(rows).toEqual([]);
    }
  });

  it('keeps conservation through a burst of 100 concurrent shipments, in flight and after delivery', async () => {
    const names = ['A', 'B', 'C', 'D'];
    const requests = Array.from({ length: 100 }, (_, i) => {
      const from = names[i % 4];
      const to = names[(i + 1 + (i % 3)) % 4];
      return admin.post('/api/cargo').send({
        originStationId: w.stations[from],
        destinationStationId: w.stations[to],
        items: [
          { commodityId: w.commodities.GAS, quantity: 1 + (i % 5) },
          ...(i % 2 ? [{ commodityId: w.commodities.ICE, quantity: 3 }] : []),
        ],
      });
    });
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const ids = responses.map((r) => r.body.shipmentId as string);

    let checks = 0;
    let sawInFlight = false;
    await waitFor(
      () => statusOf(t, ids),
      (rows) => rows.length === 1 && rows[0].status === 'delivered',
      {
        timeoutMs: 60_000,
        intervalMs: 20,
        onTick: async () => {
          const books = await checkBooks(t.dataSource);
          expect(books.onHand + books.inTransit).toBe(books.adjustments);
          expect(books).toMatchObject({ badLevels: 0, badStations: 0, negative: 0 });
          if (books.inTransit > 0) sawInFlight = true;
          checks++;
        },
      },
    );
    expect(checks).toBeGreaterThan(0);
    expect(sawInFlight).toBe(true);
    await expectBooksBalanced(t.dataSource);
  });

  describe('bad input and access', () => {
    const send = (who: Actor, body: object) => who.post('/api/cargo').send(body);
    const line = () => [{ commodityId: w.commodities.ORE, quantity: 1 }];

    it.each([
      ['no items', () => ({ originStationId: w.stations.A, destinationStationId: w.stations.B, items: [] })],
      [
        '51 items',
        () => ({
          originStationId: w.stations.A,
          destinationStationId: w.stations.B,
          items: Array.from({ length: 51 }, () => ({ commodityId: w.commodities.ORE, quantity: 1 })),
        }),
      ],
      [
        'a repeated commodity',
        () => ({ originStationId: w.stations.A, destinationStationId: w.stations.B, items: [...line(), ...line()] }),
      ],
      [
        'quantity 0',
        () => ({
          originStationId: w.stations.A,
          destinationStationId: w.stations.B,
          items: [{ commodityId: w.commodities.ORE, quantity: 0 }],
        }),
      ],
      [
        'negative quantity',
        () => ({
          originStationId: w.stations.A,
          destinationStationId: w.stations.B,
          items: [{ commodityId: w.commodities.ORE, quantity: -3 }],
        }),
      ],
      [
        'fractional quantity',
        () => ({
          originStationId: w.stations.A,
          destinationStationId: w.stations.B,
          items: [{ commodityId: w.commodities.ORE, quantity: 1.5 }],
        }),
      ],
      [
        'huge quantity',
        () => ({
          originStationId: w.stations.A,
          destinationStationId: w.stations.B,
          items: [{ commodityId: w.commodities.ORE, quantity: 1e15 }],
        }),
      ],
      ['a malformed station id', () => ({ originStationId: w.stations.A, destinationStationId: 'B', items: line() })],
      [
        'items not an array',
        () => ({ originStationId: w.stations.A, destinationStationId: w.stations.B, items: 'ore' }),
      ],
      [
        'an unknown field',
        () => ({ originStationId: w.stations.A, destinationStationId: w.stations.B, items: line(), priority: 'high' }),
      ],
    ])('refuses %s with 400', async (_name, body) => {
      expectErrorFormat((await send(admin, body()).expect(400)).body, 400, 'VALIDATION.FAILED');
    });

    it('refuses rule breaks with 422, 404 and 409, leaving nothing reserved', async () => {
      const before = await level(t, w.stations.A, w.commodities.ORE);
      expectErrorFormat(
        (
          await send(admin, {
            originStationId: w.stations.A,
            destinationStationId: w.stations.A,
            items: line(),
          }).expect(422)
        ).body,
        422,
        'CARGO.SAME_STATION',
      );
      expectErrorFormat(
        (
          await send(admin, {
            originStationId: w.stations.A,
            destinationStationId: w.stations.B,
            items: [{ commodityId: w.commodities.ORE, quantity: 100_000 }],
          }).expect(422)
        ).body,
        422,
        'CARGO.VOLUME_EXCEEDED',
      );
      expectErrorFormat(
        (await send(admin, { originStationId: w.stations.A, destinationStationId: ghost, items: line() }).expect(404))
          .body,
        404,
        'CATALOG.STATION_NOT_FOUND',
      );
      expectErrorFormat(
        (
          await send(admin, {
            originStationId: w.stations.A,
            destinationStationId: w.stations.B,
            items: [{ commodityId: ghost, quantity: 1 }],
          }).expect(404)
        ).body,
        404,
        'CATALOG.COMMODITY_NOT_FOUND',
      );
      const short = await send(admin, {
        originStationId: w.stations.A,
        destinationStationId: w.stations.B,
        items: [
          { commodityId: w.commodities.ICE, quantity: 1 },
          { commodityId: w.commodities.ORE, quantity: 4999 },
        ],
      }).expect(409);
      expectErrorFormat(short.body, 409, 'INVENTORY.INSUFFICIENT_STOCK');
      expect(short.body.details).toMatchObject({ commodityId: w.commodities.ORE });
      expect(short.body.message).toContain('ORE');
      expect(await level(t, w.stations.A, w.commodities.ORE)).toEqual(before);
      expect((await level(t, w.stations.A, w.commodities.ICE))!.reserved).toBe(0);
    });

    it('refuses a destination without room with 409 STATION.CAPACITY_EXCEEDED', async () => {
      const small = await admin
        .post('/api/stations')
        .send({ code: `TINY-${Date.now() % 100000}`, name: 'Tiny', planetId: w.planetId, storageCapacity: 10 })
        .expect(201);
      const res = await send(admin, {
        originStationId: w.stations.A,
        destinationStationId: small.body.id,
        items: [{ commodityId: w.commodities.ORE, quantity: 11 }],
      }).expect(409);
      expectErrorFormat(res.body, 409, 'STATION.CAPACITY_EXCEEDED');
      expect((await level(t, w.stations.A, w.commodities.ORE))!.reserved).toBe(0);
      await send(admin, {
        originStationId: w.stations.A,
        destinationStationId: small.body.id,
        items: [{ commodityId: w.commodities.ORE, quantity: 10 }],
      }).expect(201);
      await send(admin, {
        originStationId: w.stations.A,
        destinationStationId: small.body.id,
        items: [{ commodityId: w.commodities.ORE, quantity: 1 }],
      }).expect(409);
    });

    it('lets only members of the origin send, and hides shipments from other stations', async () => {
      const outsider = await createActor(t, 'trader', [w.stations.C]);
      expectErrorFormat(
        (
          await send(outsider, {
            originStationId: w.stations.A,
            destinationStationId: w.stations.C,
            items: line(),
          }).expect(403)
        ).body,
        403,
        'AUTH.STATION_FORBIDDEN',
      );
      const mine = await send(trader, {
        originStationId: w.stations.A,
        destinationStationId: w.stations.B,
        items: line(),
      }).expect(201);
      expectErrorFormat(
        (await outsider.get(`/api/cargo/${mine.body.shipmentId}`).expect(404)).body,
        404,
        'CARGO.SHIPMENT_NOT_FOUND',
      );
      expectErrorFormat((await outsider.post(`/api/cargo/${mine.body.shipmentId}/cancel`).expect(404)).body, 404);
      expectErrorFormat((await outsider.get('/api/cargo').query({ stationId: w.stations.A }).expect(403)).body, 403);
      const own = await outsider.get('/api/cargo').expect(200);
      expect(
        own.body.items.every((s: { originStationId: string; destinationStationId: string }) =>
          [s.originStationId, s.destinationStationId].includes(w.stations.C),
        ),
      ).toBe(true);
      expectErrorFormat((await admin.get('/api/cargo/not-a-uuid').expect(400)).body, 400);
      expectErrorFormat((await admin.get('/api/cargo').query({ status: 'lost' }).expect(400)).body, 400);
    });

    it('lists with filters and cursor pagination', async () => {
      const page1 = await trader.get('/api/cargo').query({ stationId: w.stations.A, limit: 2 }).expect(200);
      expect(page1.body.items).toHaveLength(2);
      const page2 = await trader
        .get('/api/cargo')
        .query({ stationId: w.stations.A, limit: 2, cursor: page1.body.nextCursor })
        .expect(200);
      expect(page2.body.items[0].shipmentId < page1.body.items[1].shipmentId).toBe(true);
      const delivered = await admin.get('/api/cargo').query({ status: 'delivered', limit: 100 }).expect(200);
      expect(delivered.body.items.every((s: { status: string }) => s.status === 'delivered')).toBe(true);
    });
  });
});

describeEachQueueBackend('Cargo steps, one at a time (e2e)', (backend) => {
  // Simulated time runs at real speed here: nothing moves unless a test moves it.
  let t: TestApp;
  let admin: Actor;
  let w: World;
  let processor: ShipmentsProcessor;
  let queue: Queue;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_BACKEND: backend, SIM_TIME_SCALE: '1' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE'] });
    await stock(admin, w.stations.A, w.commodities.ORE, 100);
    processor = t.app.get(ShipmentsProcessor);
    queue = t.app.get<Queue>(getQueueToken(SHIPMENTS_QUEUE));
  });
  afterAll(() => t.close());

  const ship = async (quantity = 10) =>
    (
      await admin
        .post('/api/cargo')
        .send({
          originStationId: w.stations.A,
          destinationStationId: w.stations.B,
          items: [{ commodityId: w.commodities.ORE, quantity }],
        })
        .expect(201)
    ).body.shipmentId as string;
  const job = (name: string, data: unknown) => ({ name, data, attemptsMade: 0, opts: {} }) as unknown as Job;
  const ledgerCount = async () =>
    (await t.dataSource.query('SELECT count(*)::int AS n FROM stock_ledger'))[0].n as number;
  const eventCount = async () => (await t.dataSource.query('SELECT count(*)::int AS n FROM events'))[0].n as number;

  it('processes the same job twice as a no-op the second time', async () => {
    const id = await ship();
    expect(await processor.process(job(ShipmentJob.Dispatch, { shipmentId: id }))).toEqual({ changed: true });
    const [ledger, events] = [await ledgerCount(), await eventCount()];
    const levelAfter = await level(t, w.stations.A, w.commodities.ORE);
    expect(await processor.process(job(ShipmentJob.Dispatch, { shipmentId: id }))).toEqual({ changed: false });
    expect(await ledgerCount()).toBe(ledger);
    expect(await eventCount()).toBe(events);
    expect(await level(t, w.stations.A, w.commodities.ORE)).toEqual(levelAfter);

    expect(await processor.process(job(ShipmentJob.Arrive, { shipmentId: id }))).toEqual({ changed: true });
    expect(await processor.process(job(ShipmentJob.Arrive, { shipmentId: id }))).toEqual({ changed: false });
    expect(await processor.process(job(ShipmentJob.Dispatch, { shipmentId: id }))).toEqual({ changed: false });
    const ledger2 = await t.dataSource.query(
      'SELECT reason, count(*)::int AS n FROM stock_ledger WHERE reference_id = $1 GROUP BY reason ORDER BY reason',
      [id],
    );
    expect(ledger2).toEqual([
      { reason: 'shipment_delivery', n: 1 },
      { reason: 'shipment_dispatch', n: 1 },
    ]);
    await expectBooksBalanced(t.dataSource);
  });

  it('fails malformed job data with UnrecoverableError', async () => {
    await expect(processor.process(job(ShipmentJob.Dispatch, { shipmentId: 'nope' }))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    await expect(processor.process(job(ShipmentJob.Arrive, null))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(processor.process(job('teleport', { shipmentId: ghost }))).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('enqueues nothing twice when the relay replays the whole log', async () => {
    const id = await ship(5);
    const relay = t.app.get(ShipmentRelay);
    const jobIds = async () =>
      (await queue.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed', 'prioritized']))
        .filter((j) => j && j.name !== String(ShipmentJob.Sweep))
        .map((j) => j.id)
        .sort();
    await waitFor(jobIds, (ids) => ids.includes(`dispatch-${id}`));
    const before = await jobIds();
    await t.dataSource.query(`UPDATE relay_cursors SET tx_id = '0', event_id = 0`);
    expect(await relay.relayOnce()).toBeGreaterThan(0);
    expect(await jobIds()).toEqual(before);
    const [{ n }] = await queue
      .getJobs(['delayed'])
      .then((jobs) => [{ n: jobs.filter((j) => j.id === `dispatch-${id}`).length }]);
    expect(n).toBe(1);
  });

  it('lets one relay at a time move the cursor, and keeps no transaction open while it enqueues', async () => {
    const first = t.app.get(ShipmentRelay);
    const second = new ShipmentRelay(
      queue,
      t.dataSource,
      t.app.get(EventLogRetention),
      t.app.get(EventLogSignal),
      t.app.get(ConfigService),
    );
    const cursor = async () =>
      (await t.dataSource.query(`SELECT event_id::int AS n FROM relay_cursors WHERE name = 'shipments'`))[0]?.n;
    // What the relays' connections are doing while the jobs go to the queue.
    const sessions: { state: string; xid: string | null }[] = [];
    const addBulk = queue.addBulk.bind(queue);
    const spy = jest.spyOn(queue, 'addBulk').mockImplementation(async (jobs) => {
      sessions.push(
        ...(await t.dataSource.query(
          `SELECT state, backend_xid::text AS xid FROM pg_stat_activity WHERE application_name = 'itn-shipment-relay'`,
        )),
      );
      return addBulk(jobs);
    });
    try {
      await ship(2);
      // The app's relay has moved the cursor past the new shipment's event: it holds the lock.
      const [{ last }] = await t.dataSource.query(
        `SELECT max(id)::int AS last FROM events WHERE type = 'shipment.status_changed'`,
      );
      await waitFor(cursor, (n) => n >= last);
      sessions.length = 0;
      await t.dataSource.query(`UPDATE relay_cursors SET tx_id = '0', event_id = 0`);
      expect(await second.relayOnce()).toBe(0);

      // The first relay replays (in this call, or in a round of its own loop that came first).
      await first.relayOnce();
      expect(await cursor()).toBeGreaterThanOrEqual(last);
      expect(sessions.length).toBeGreaterThan(0);
      // No transaction held open across the enqueue. (The other relay's connection may be running
      // a statement of its own at that moment: 'active', without a transaction id.)
      expect(sessions.filter((s) => s.xid !== null || s.state.startsWith('idle in transaction'))).toEqual([]);

      // A relay that stops releases the lock (once its backend has exited); the other one takes over.
      await first.onApplicationShutdown();
      await t.dataSource.query(`UPDATE relay_cursors SET tx_id = '0', event_id = 0`);
      await waitFor(
        () => second.relayOnce(),
        (n) => n > 0,
        { timeoutMs: 5_000, intervalMs: 20 },
      );
      expect(await cursor()).toBeGreaterThanOrEqual(last);
    } finally {
      spy.mockRestore();
      await second.onApplicationShutdown();
      await first.onApplicationBootstrap();
    }
  });

  it('cancels before departure, releasing the reservation; after departure answers 409', async () => {
    const before = await level(t, w.stations.A, w.commodities.ORE);
    const id = await ship(7);
    expect((await level(t, w.stations.A, w.commodities.ORE))!.reserved).toBe(before!.reserved + 7);
    const cancelled = await admin.post(`/api/cargo/${id}/cancel`).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.timeline.map((e: { status: string }) => e.status)).toEqual(['scheduled', 'cancelled']);
    expect(await level(t, w.stations.A, w.commodities.ORE)).toEqual(before);
    expectErrorFormat((await admin.post(`/api/cargo/${id}/cancel`).expect(409)).body, 409, 'CARGO.NOT_CANCELLABLE');
    // A cancelled shipment's queued dispatch does nothing.
    expect(await processor.process(job(ShipmentJob.Dispatch, { shipmentId: id }))).toEqual({ changed: false });

    const gone = await ship(3);
    await processor.process(job(ShipmentJob.Dispatch, { shipmentId: gone }));
    const res = await admin.post(`/api/cargo/${gone}/cancel`).expect(409);
    expectErrorFormat(res.body, 409, 'CARGO.NOT_CANCELLABLE');
    await expectBooksBalanced(t.dataSource);
  });

  it('lets only the origin cancel: a member of the destination gets 403', async () => {
    const id = await ship(1);
    const destMember = await createActor(t, 'trader', [w.stations.B]);
    await destMember.get(`/api/cargo/${id}`).expect(200);
    expectErrorFormat(
      (await destMember.post(`/api/cargo/${id}/cancel`).expect(403)).body,
      403,
      'AUTH.STATION_FORBIDDEN',
    );
  });

  it('gives a failing shipment up without losing stock', async () => {
    const { ShipmentsService } = await import('@itn/cargo');
    const service = t.app.get(ShipmentsService);
    const scheduled = await ship(4);
    await service.fail(scheduled, 'test');
    const inTransit = await ship(6);
    await processor.process(job(ShipmentJob.Dispatch, { shipmentId: inTransit }));
    await service.fail(inTransit, 'test');
    const rows = await t.dataSource.query('SELECT status FROM shipments WHERE id = ANY($1)', [[scheduled, inTransit]]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['failed', 'failed']);
    await expectBooksBalanced(t.dataSource);
  });
});

describeEachQueueBackend('Cargo survives a killed worker (e2e, separate worker processes)', (backend) => {
  let t: TestApp;
  let admin: Actor;
  let w: World;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    // Trips take a couple of seconds, so shipments are in flight when the worker dies.
    t = await createTestApp({ QUEUE_BACKEND: backend, WORKER_MODE: 'off', SIM_TIME_SCALE: '200000' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B', 'C'], commodities: ['ORE'] });
    for (const s of ['A', 'B', 'C']) await stock(admin, w.stations[s], w.commodities.ORE, 500);
  });
  afterAll(async () => {
    await Promise.all(workers.map(stopGracefully));
    await t.close();
  });

  it('delivers every shipment exactly once after a SIGKILL mid-flight', async () => {
    const env = { SIM_TIME_SCALE: '200000', QUEUE_LOCK_DURATION_MS: '2000', SWEEP_INTERVAL_MS: '1000' };
    const first = await startWorkerProcess(env);
    workers.push(first);
    const names = ['A', 'B', 'C'];
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        admin.post('/api/cargo').send({
          originStationId: w.stations[names[i % 3]],
          destinationStationId: w.stations[names[(i + 1) % 3]],
          items: [{ commodityId: w.commodities.ORE, quantity: 1 + (i % 4) }],
        }),
      ),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    const ids = responses.map((r) => r.body.shipmentId as string);

    await waitFor(
      () => statusOf(t, ids),
      (rows) => rows.some((r) => r.status === 'in_transit'),
    );
    await killHard(first);
    const mid = await statusOf(t, ids);
    expect(mid.find((r) => r.status === 'delivered')?.n ?? 0).toBeLessThan(ids.length);
    await expectBooksBalanced(t.dataSource);

    workers.push(await startWorkerProcess(env));
    await waitFor(
      () => statusOf(t, ids),
      (rows) => rows.length === 1 && rows[0].status === 'delivered',
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    const perShipment = await t.dataSource.query(
      `SELECT reference_id, reason, count(*)::int AS n FROM stock_ledger
        WHERE reference_id = ANY($1) GROUP BY 1, 2 HAVING count(*) <> 1`,
      [ids],
    );
    expect(perShipment).toEqual([]);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM events WHERE type = 'shipment.status_changed' AND payload->>'status' = 'delivered' AND payload->>'shipmentId' = ANY($1)`,
      [ids],
    );
    expect(n).toBe(ids.length);
    await expectBooksBalanced(t.dataSource);
  });

  it('serves its own /metrics and /health/live on METRICS_PORT', async () => {
    // The only worker, so that the steps are this process's.
    await Promise.all(workers.splice(0).map(stopGracefully));
    const port = await freePort();
    const env = { SIM_TIME_SCALE: '200000', METRICS_PORT: String(port), HOST: '127.0.0.1' };
    const worker = await startWorkerProcess(env);
    workers.push(worker);
    const res = await admin
      .post('/api/cargo')
      .send({
        originStationId: w.stations.A,
        destinationStationId: w.stations.B,
        items: [{ commodityId: w.commodities.ORE, quantity: 1 }],
      })
      .expect(201);
    await waitFor(
      () => statusOf(t, [res.body.shipmentId]),
      (rows) => rows.length === 1 && rows[0].status === 'delivered',
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const base = `http://127.0.0.1:${port}`;
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    const steps = text.match(/^itn_job_duration_seconds_count\{[^}]*\} (\d+)/gm) ?? [];
    expect(steps.length).toBeGreaterThan(0);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const missing = await fetch(`${base}/api/trades`);
    expect(missing.status).toBe(404);
    expectErrorFormat(await missing.json(), 404, 'REQUEST.NOT_FOUND');
    await stopGracefully(worker);
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });
});
