import { Environment } from '@itn/core';
import { EVENTS_CHANNEL, EventLogSignal, EventLogWriter, NewEvent } from '@itn/events';
import { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Actor, createActor } from './helpers/auth';
import { waitFor } from './helpers/invariants';
import { createTestApp, TestApp } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

/**
 * The log's followers are notified after a commit that wrote events, never from within the
 * writing transaction (a notifying transaction holds a database-wide lock until its commit is
 * flushed, which made every writer of events commit one at a time).
 */
describe('Event log notifications (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let w: World;
  let listener: Client;
  const received: { at: number; processId: number; payload?: string }[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['S', 'B'], commodities: ['ORE'] });
    listener = new Client({ connectionString: process.env.DATABASE_URL });
    await listener.connect();
    listener.on('notification', (n) => {
      if (n.channel === EVENTS_CHANNEL) received.push({ at: Date.now(), processId: n.processId, payload: n.payload });
    });
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
    await t.close();
  });

  /** Waits for a notification after `since` and answers when it came. */
  const notifiedAfter = (since: number) =>
    waitFor(
      () => Promise.resolve(received.find((n) => n.at >= since)),
      (n) => n !== undefined,
      { timeoutMs: 2_000, intervalMs: 10 },
    );

  const probe = (): NewEvent<'inventory.changed'> => ({
    type: 'inventory.changed',
    stationIds: [w.stations.S],
    data: {
      stationId: w.stations.S,
      commodityId: w.commodities.ORE,
      onHand: 1,
      reserved: 0,
      available: 1,
      incoming: 0,
      delta: 0,
      reason: 'adjustment',
    },
  });

  it('leaves no trigger on the events table to notify from within transactions', async () => {
    const triggers = await t.dataSource.query<{ tgname: string }[]>(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal`,
    );
    expect(triggers).toEqual([]);
  });

  it('announces a transaction’s events after it commits, and not at all when it rolls back', async () => {
    const signal = t.app.get(EventLogSignal);
    const writer = t.app.get(EventLogWriter);
    const announce = jest.spyOn(signal, 'announce');
    try {
      let announcedInside = -1;
      await t.dataSource.transaction(async (tx) => {
        await writer.append(tx, [probe()]);
        announcedInside = announce.mock.calls.length;
      });
      expect(announcedInside).toBe(0);
      expect(announce).toHaveBeenCalledTimes(1);

      announce.mockClear();
      await expect(
        t.dataSource.transaction(async (tx) => {
          await writer.append(tx, [probe()]);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(announce).not.toHaveBeenCalled();
    } finally {
      announce.mockRestore();
    }
  });

  it('notifies the followers of an adjustment (a transaction) and of a trade (one statement)', async () => {
    // Announced before the answer goes out: the worker's later steps announce too, so a
    // notification alone would not tell whose it was.
    const announce = jest.spyOn(t.app.get(EventLogSignal), 'announce');
    try {
      const beforeAdjustment = Date.now();
      await admin
        .post(`/api/inventory/${w.stations.S}/adjustments`)
        .send({ commodityId: w.commodities.ORE, delta: 100, reason: 'stock' })
        .expect(201);
      expect(announce).toHaveBeenCalled();
      await notifiedAfter(beforeAdjustment);

      const trader = await createActor(t, 'trader', [w.stations.S]);
      announce.mockClear();
      const beforeTrade = Date.now();
      await trader
        .post('/api/trades')
        .send({
          sellerStationId: w.stations.S,
          buyerStationId: w.stations.B,
          items: [{ commodityId: w.commodities.ORE, quantity: 2, unitPrice: 10 }],
        })
        .expect(201);
      expect(announce).toHaveBeenCalled();
      await notifiedAfter(beforeTrade);
    } finally {
      announce.mockRestore();
    }
  });

  it('folds announcements made while one is on its way into one more', async () => {
    // A signal of its own, so that the notifications it sends can be told apart (by the
    // sending backend) from those of the app, whose worker may still be moving shipments.
    const signal = new EventLogSignal({ subscribers: [] } as unknown as DataSource, t.app.get(ConfigService));
    try {
      const connection = await signal['connection'].get();
      const [{ pid }] = (await connection.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      const fromSender = () => received.filter((n) => n.processId === pid).length;
      for (let i = 0; i < 50; i++) signal.announce();
      await waitFor(
        () => Promise.resolve(fromSender()),
        (count) => count >= 1,
        { timeoutMs: 2_000, intervalMs: 10 },
      );
      await new Promise((r) => setTimeout(r, 300)); // time for any further ones to arrive
      expect(fromSender()).toBeGreaterThanOrEqual(1);
      expect(fromSender()).toBeLessThanOrEqual(2);
    } finally {
      await signal.onApplicationShutdown();
    }
  });

  it('wakes this process’s followers at once, and tells the others at most once per LOG_READ_INTERVAL_MS', async () => {
    const appConfig = t.app.get(ConfigService);
    const config = {
      get: (key: string) => (key === 'LOG_READ_INTERVAL_MS' ? 100 : appConfig.get(key)),
    } as unknown as ConfigService<Environment, true>;
    const signal = new EventLogSignal({ subscribers: [] } as unknown as DataSource, config);
    const woken = jest.fn();
    signal.onAnnounce(woken);
    const mine = () => received.filter((n) => n.payload === signal.origin);
    try {
      signal.announce();
      expect(woken).toHaveBeenCalledTimes(1);
      await waitFor(
        () => Promise.resolve(mine().length),
        (count) => count === 1,
        { timeoutMs: 2_000, intervalMs: 5 },
      );
      // An announcement every 5 ms for 600 ms: each wakes the followers here; the other
      // processes hear of them about every 100 ms, and of the last one too.
      const until = Date.now() + 600;
      while (Date.now() < until) {
        signal.announce();
        await new Promise((r) => setTimeout(r, 5));
      }
      const last = Date.now();
      await new Promise((r) => setTimeout(r, 400));
      expect(woken.mock.calls.length).toBeGreaterThan(50);
      expect(mine().length).toBeGreaterThanOrEqual(4);
      expect(mine().length).toBeLessThanOrEqual(9);
      expect(mine()[mine().length - 1].at).toBeGreaterThanOrEqual(last - 100);
    } finally {
      await signal.onApplicationShutdown();
    }
  });
});
