import { ChildProcess } from 'node:child_process';
import { tcpSocketOf } from '@itn/fast-path';
import request from 'supertest';
import { startApiProcess } from './helpers/api-process';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { ReceivedEvent, RealtimeClient, readSse } from './helpers/realtime-client';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { stopGracefully } from './helpers/worker-process';
import { buildWorld, World } from './helpers/world';

describe('Real-time updates (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let traderA: Actor;
  let w: World;
  const clients: RealtimeClient[] = [];
  const processes: ChildProcess[] = [];

  beforeAll(async () => {
    // Shipments stay scheduled here, so the only events are the ones each test makes.
    t = await createTestApp({ SIM_TIME_SCALE: '1', FAST_PATHS: 'on' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B', 'C'], commodities: ['ORE', 'ICE'] });
    traderA = await createActor(t, 'trader', [w.stations.A]);
    for (const s of ['A', 'B', 'C']) {
      await admin
        .post(`/api/inventory/${s === 'A' ? w.stations.A : w.stations[s]}/adjustments`)
        .send({ commodityId: w.commodities.ORE, delta: 10_000, reason: 'stock' })
        .expect(201);
    }
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(async () => {
    await Promise.all(processes.map(stopGracefully));
    await t.close();
  });

  const connect = async (url: string, token: string) => {
    const client = await RealtimeClient.connect(url, token);
    clients.push(client);
    return client;
  };
  const adjust = (station: string, delta = 1, commodity = w.commodities.ICE) =>
    admin
      .post(`/api/inventory/${station}/adjustments`)
      .send({ commodityId: commodity, delta, reason: 'rt' })
      .expect(201);
  const trade = (from: string, to: string) =>
    admin
      .post('/api/trades')
      .send({
        sellerStationId: from,
        buyerStationId: to,
        items: [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1 }],
      })
      .expect(201);
  /** An event at A that every subscriber of A will receive after anything written before it. */
  const sentinel = async (client: RealtimeClient, station = w.stations.A) => {
    const res = await adjust(station, 1, w.commodities.ORE);
    const balance = res.body.ledgerEntry.balanceAfter as number;
    await client.waitFor(
      (e) => e.type === 'inventory.changed' && e.data.onHand === balance && e.data.stationId === station,
    );
  };

  describe('connecting', () => {
    it('refuses a connection without a token, with a code the client can read', async () => {
      const err = await RealtimeClient.connect(t.url, undefined).catch((e: Error & { data?: { code: string } }) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error & { data?: { code: string } }).data?.code).toBe('AUTH.UNAUTHORIZED');
    });

    it('refuses a bad token', async () => {
      const err = await RealtimeClient.connect(t.url, 'not.a.token').catch(
        (e: Error & { data?: { code: string } }) => e,
      );
      expect((err as Error & { data?: { code: string } }).data?.code).toBe('AUTH.UNAUTHORIZED');
    });

    it('refuses a subscription to a station of others, or a malformed one, with a code', async () => {
      const client = await connect(t.url, traderA.accessToken);
      expect(await client.subscribe(w.stations.B)).toEqual({
        ok: false,
        code: 'AUTH.STATION_FORBIDDEN',
        message: expect.any(String),
      });
      expect(await client.subscribe('nope')).toMatchObject({ ok: false, code: 'VALIDATION.FAILED' });
      expect(await client.subscribe(w.stations.A)).toMatchObject({ ok: true });
      const adminClient = await connect(t.url, admin.accessToken);
      expect(await adminClient.subscribe(w.stations.B)).toMatchObject({ ok: true });
    });
  });

  it('delivers trade.created for trades of the subscribed station and nothing of other stations', async () => {
    const client = await connect(t.url, traderA.accessToken);
    await client.subscribe(w.stations.A);
    const mine = await trade(w.stations.A, w.stations.B);
    const created = await client.waitFor((e) => e.type === 'trade.created');
    expect(created).toEqual({
      id: expect.any(String),
      type: 'trade.created',
      stationIds: [w.stations.A, w.stations.B],
      occurredAt: expect.any(String),
      data: expect.objectContaining({
        transactionId: mine.body.transactionId,
        sellerStationId: w.stations.A,
        totalPrice: 1,
      }),
    });
    const other = await trade(w.stations.B, w.stations.C);
    await sentinel(client);
    expect(client.received.filter((e) => e.data.transactionId === other.body.transactionId)).toEqual([]);
    expect(client.received.every((e) => e.stationIds.includes(w.stations.A))).toBe(true);
  });

  it('delivers once to a socket in several rooms', async () => {
    const client = await connect(t.url, admin.accessToken);
    await client.subscribe(w.stations.A);
    await client.subscribe(w.stations.B);
    const res = await trade(w.stations.A, w.stations.B);
    await sentinel(client);
    expect(
      client.received.filter((e) => e.type === 'trade.created' && e.data.transactionId === res.body.transactionId),
    ).toHaveLength(1);
  });

  it('sends a socket the events of one transaction in one write, in log order (FAST_PATHS on)', async () => {
    const client = await connect(t.url, traderA.accessToken);
    await client.subscribe(w.stations.A);
    await sentinel(client);
    // The server's end of this client's connection: count the writes that reach the TCP socket.
    const { RealtimeGateway } = await import('@itn/events');
    const serverSocket = t.app.get(RealtimeGateway).server.sockets.sockets.get(client.socket.id!)!;
    const tcp = tcpSocketOf(serverSocket.conn.transport)!;
    const writes = [jest.spyOn(tcp, '_write' as never), jest.spyOn(tcp, '_writev' as never)];
    try {
      const res = await trade(w.stations.A, w.stations.B);
      await client.waitFor((e) => e.type === 'trade.created' && e.data.transactionId === res.body.transactionId);
      const events = client.received.filter(
        (e) => e.data.shipmentId === res.body.shipmentId || e.data.reason === 'reservation',
      );
      // The trade's three events for A (shipment, reserved stock, trade), written together.
      expect(events.map((e) => e.type)).toEqual(['shipment.status_changed', 'inventory.changed', 'trade.created']);
      expect(events.map((e) => BigInt(e.id))).toEqual(events.map((e) => BigInt(e.id)).sort((a, b) => (a < b ? -1 : 1)));
      expect(writes.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(1);
    } finally {
      writes.forEach((spy) => spy.mockRestore());
    }
  });

  describe('across two API processes', () => {
    let other: { url: string };

    beforeAll(async () => {
      const started = await startApiProcess({ WORKER_MODE: 'off', SIM_TIME_SCALE: '1', SEED_DEMO: 'false' });
      processes.push(started.child);
      other = started;
    });

    it('delivers a trade made through one instance to a socket on the other, exactly once', async () => {
      const client = await connect(other.url, traderA.accessToken);
      await client.subscribe(w.stations.A);
      const res = await trade(w.stations.A, w.stations.C);
      await sentinel(client);
      expect(
        client.received.filter((e) => e.type === 'trade.created' && e.data.transactionId === res.body.transactionId),
      ).toHaveLength(1);
    });

    it('delivers a burst of 200 events complete and in log order', async () => {
      const client = await connect(other.url, traderA.accessToken);
      await client.subscribe(w.stations.A);
      const [{ max }] = await t.dataSource.query('SELECT coalesce(max(id), 0)::text AS max FROM events');
      await Promise.all(Array.from({ length: 200 }, () => adjust(w.stations.A)));
      const expected: { id: string }[] = await t.dataSource.query(
        `SELECT id::text FROM events WHERE id > $1 AND $2 = ANY(station_ids) ORDER BY tx_id, id`,
        [max, w.stations.A],
      );
      expect(expected).toHaveLength(200);
      await client.waitFor((e) => e.id === expected[expected.length - 1].id);
      const got = client.received.filter((e) => BigInt(e.id) > BigInt(max)).map((e) => e.id);
      expect(got).toEqual(expected.map((e) => e.id));
    });
  });

  it('resumes after a disconnect with exactly the missed events, then live', async () => {
    const first = await connect(t.url, traderA.accessToken);
    await first.subscribe(w.stations.A);
    const seen = await adjust(w.stations.A);
    const last = await first.waitFor(
      (e) => e.data.commodityId === w.commodities.ICE && e.data.onHand === seen.body.level.onHand,
    );
    first.close();

    for (let i = 0; i < 5; i++) await adjust(w.stations.A);
    await adjust(w.stations.B); // not A's business
    const expected: { id: string }[] = await t.dataSource.query(
      `SELECT id::text FROM events WHERE id > $1 AND $2 = ANY(station_ids) ORDER BY tx_id, id`,
      [last.id, w.stations.A],
    );
    expect(expected).toHaveLength(5);

    const second = await connect(t.url, traderA.accessToken);
    const ack = await second.subscribe(w.stations.A, last.id);
    expect(ack).toMatchObject({ ok: true });
    // What this instance had already handed out is replayed; anything it had not yet seen
    // comes live right after, so the client's sequence is the same either way.
    expect(ack.replayed).toBeLessThanOrEqual(5);
    await second.waitFor((e) => e.id === expected[4].id);
    expect(second.received.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    const live = await adjust(w.stations.A);
    await second.waitFor((e) => e.data.onHand === live.body.level.onHand && e.data.commodityId === w.commodities.ICE);
    const ids = second.received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(6);
  });

  it('closes a socket when its access token expires', async () => {
    const { TokensService } = await import('@itn/auth');
    const { JwtService } = await import('@nestjs/jwt');
    const jwt = t.app.get(JwtService);
    const shortLived = await jwt.signAsync({ sub: traderA.id, role: 'trader' }, { expiresIn: 1 });
    expect(t.app.get(TokensService).verifyAccessToken(shortLived).user.id).toBe(traderA.id);
    const client = await connect(t.url, shortLived);
    const expired = new Promise((resolve) => client.socket.once('session.expired', resolve));
    const disconnected = new Promise((resolve) => client.socket.once('disconnect', resolve));
    await expect(expired).resolves.toEqual({ code: 'AUTH.TOKEN_EXPIRED' });
    await expect(disconnected).resolves.toBe('io server disconnect');
  });

  it('prunes history past the retention period, keeping what the relay has not passed, and expired keys and tokens', async () => {
    const { Pruner } = await import('@itn/events');
    const [{ id }] = await t.dataSource.query(
      `INSERT INTO events (type, station_ids, payload, created_at) VALUES ('inventory.changed', '{}', '{}', now() - interval '400 days') RETURNING id`,
    );
    await t.dataSource.query(`INSERT INTO relay_cursors (name) VALUES ('shipments') ON CONFLICT DO NOTHING`);
    await t.dataSource.query(`UPDATE relay_cursors SET tx_id = '0', event_id = 0 WHERE name = 'shipments'`);
    await t.app.get(Pruner).prune();
    expect(await t.dataSource.query('SELECT id FROM events WHERE id = $1', [id])).toHaveLength(1);
    await t.dataSource.query(
      `UPDATE relay_cursors SET tx_id = pg_snapshot_xmin(pg_current_snapshot()), event_id = $1 WHERE name = 'shipments'`,
      [id],
    );
    // Each owner prunes its own: an idempotency key past its time, a refresh token expired long ago.
    await t.dataSource.query(
      `INSERT INTO idempotency_keys (user_id, key, scope, fingerprint, response_status, response_body, expires_at)
       VALUES ($1, 'old-key', 'POST /api/trades', repeat('0', 64), 201, '{}', now() - interval '1 hour')`,
      [admin.id],
    );
    await t.dataSource.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       VALUES (gen_random_uuid(), gen_random_uuid(), $1, repeat('0', 64), now() - interval '2 days')`,
      [admin.id],
    );
    const before = (await t.dataSource.query('SELECT count(*)::int AS n FROM events'))[0].n;
    const result = await t.app.get(Pruner).prune();
    expect(result).toEqual({ events: 1, idempotencyKeys: 1, refreshTokens: 1 });
    expect(await t.dataSource.query('SELECT id FROM events WHERE id = $1', [id])).toHaveLength(0);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM events'))[0].n).toBe(before - 1);
  });

  describe('SSE and polling', () => {
    it('return the same sequence: polling pages, an SSE stream resumed with Last-Event-ID', async () => {
      const [{ max }] = await t.dataSource.query('SELECT coalesce(max(id), 0)::text AS max FROM events');
      for (let i = 0; i < 7; i++) await adjust(w.stations.A);
      await trade(w.stations.A, w.stations.B);
      const expected: { id: string }[] = await t.dataSource.query(
        `SELECT id::text FROM events WHERE id > $1 AND $2 = ANY(station_ids) ORDER BY tx_id, id`,
        [max, w.stations.A],
      );
      expect(expected.length).toBeGreaterThanOrEqual(9);

      // Poll like a client would: page by page, and again when a page comes back empty.
      const polled: ReceivedEvent[] = [];
      let cursor: string = max;
      const deadline = Date.now() + 15_000;
      while (polled.length < expected.length && Date.now() < deadline) {
        const page = await traderA.get('/api/updates/real-time').query({ after: cursor, limit: 3 }).expect(200);
        polled.push(...page.body.events);
        cursor = page.body.nextCursor;
        if (page.body.events.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(polled.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      expect(polled.every((e) => e.stationIds.includes(w.stations.A))).toBe(true);

      const streamed = await readSse(
        `${t.url}/api/updates/real-time`,
        { Authorization: `Bearer ${traderA.accessToken}`, 'Last-Event-ID': max },
        polled.length,
      );
      expect(streamed.map((e) => e.id)).toEqual(polled.map((e) => e.id));
      expect(streamed.map((e) => e.event)).toEqual(polled.map((e) => e.type));
      expect(streamed.map((e) => e.data)).toEqual(polled);

      // Resuming from the middle gives the rest.
      const middle = polled[3].id;
      const rest = await readSse(
        `${t.url}/api/updates/real-time?after=${middle}`,
        { Authorization: `Bearer ${traderA.accessToken}` },
        polled.length - 4,
      );
      expect(rest.map((e) => e.id)).toEqual(polled.slice(4).map((e) => e.id));
    });

    it('streams live events after the replay', async () => {
      let expectedOnHand = -1;
      const pending = readSse(
        `${t.url}/api/updates/real-time`,
        { Authorization: `Bearer ${traderA.accessToken}` },
        50,
        15_000,
        (e) => e.data.data.commodityId === w.commodities.ICE && e.data.data.onHand === expectedOnHand,
      );
      await new Promise((r) => setTimeout(r, 300));
      const res = await adjust(w.stations.A);
      expectedOnHand = res.body.level.onHand;
      const events = await pending;
      expect(
        events.some((e) => e.data.data.onHand === expectedOnHand && e.data.data.commodityId === w.commodities.ICE),
      ).toBe(true);
    });

    it('shows a trader only their stations, refuses others, and checks input', async () => {
      const page = await traderA.get('/api/updates/real-time').query({ limit: 500 }).expect(200);
      expect(page.body.events.every((e: ReceivedEvent) => e.stationIds.includes(w.stations.A))).toBe(true);
      expectErrorFormat(
        (await traderA.get('/api/updates/real-time').query({ stationId: w.stations.B }).expect(403)).body,
        403,
      );
      expectErrorFormat((await traderA.get('/api/updates/real-time').query({ after: 'x' }).expect(400)).body, 400);
      expectErrorFormat((await traderA.get('/api/updates/real-time').query({ limit: 501 }).expect(400)).body, 400);
      expectErrorFormat((await request(t.url).get('/api/updates/real-time').expect(401)).body, 401);
      const all = await admin.get('/api/updates/real-time').query({ limit: 500 }).expect(200);
      expect(all.body.events.some((e: ReceivedEvent) => !e.stationIds.includes(w.stations.A))).toBe(true);
    });
  });
});
