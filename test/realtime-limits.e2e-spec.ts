import { MetricsRegistry } from '@itn/core';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { RealtimeClient } from './helpers/realtime-client';
import { SseRecorder } from './helpers/sse-recorder';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

const LIMITS = {
  SOCKET_MAX_PER_USER: '3',
  SOCKET_MAX_SUBSCRIPTIONS: '2',
  SOCKET_MESSAGE_BURST: '8',
  SOCKET_MESSAGES_PER_SECOND: '2',
  REPLAY_MAX_EVENTS: '5',
};

/** Sockets, messages, subscriptions and replays each have a bound (e2e, real Socket.IO server). */
describe('Limits of live delivery (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let trader: Actor;
  let w: World;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    t = await createTestApp({ ...LIMITS, SIM_TIME_SCALE: '1' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B', 'C'], commodities: ['ORE'] });
    trader = await createActor(t, 'trader', [w.stations.A, w.stations.B, w.stations.C]);
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(() => t.close());

  const connect = async (token: string) => {
    const client = await RealtimeClient.connect(t.url, token);
    clients.push(client);
    return client;
  };
  const adjust = (station: string) =>
    admin
      .post(`/api/inventory/${station}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 1, reason: 'probe' })
      .expect(201);
  const lastEventId = async () =>
    String((await t.dataSource.query<{ id: string }[]>('SELECT max(id)::text AS id FROM events'))[0].id ?? 0);
  const metrics = () => t.app.get(MetricsRegistry).metrics();

  it('accepts at most SOCKET_MAX_PER_USER sockets per user at once, even when they arrive together', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 12 }, () => RealtimeClient.connect(t.url, trader.accessToken)),
    );
    const accepted = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    clients.push(...accepted);
    expect(accepted).toHaveLength(3);
    for (const a of attempts) {
      if (a.status === 'rejected') expect(a.reason).toMatchObject({ data: { code: 'TOO_MANY_CONNECTIONS' } });
    }
    // Another user has a limit of their own; a closed socket frees its place.
    await connect(admin.accessToken);
    accepted[0].close();
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await connect(trader.accessToken);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(await metrics()).toMatch(/itn_realtime_limit_refusals_total\{reason="sockets_per_user"\} [1-9]/);
  });

  it('lets a socket follow at most SOCKET_MAX_SUBSCRIPTIONS stations', async () => {
    const client = await connect(trader.accessToken);
    expect(await client.subscribe(w.stations.A)).toEqual({ ok: true });
    expect(await client.subscribe(w.stations.B)).toEqual({ ok: true });
    expect(await client.subscribe(w.stations.C)).toMatchObject({ ok: false, code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(await client.socket.timeout(5000).emitWithAck('unsubscribe', { stationId: w.stations.A })).toEqual({
      ok: true,
    });
    expect(await client.subscribe(w.stations.C)).toEqual({ ok: true });
  });

  it('answers messages past the budget RATE_LIMITED without handling them, and disconnects a socket that keeps on', async () => {
    const client = await connect(trader.accessToken);
    const closed = new Promise((resolve) => client.socket.once('session.closed', resolve));
    const disconnected = new Promise((resolve) => client.socket.once('disconnect', resolve));
    const acks = await Promise.all(
      Array.from({ length: 12 }, () =>
        client.socket.timeout(5000).emitWithAck('unsubscribe', { stationId: w.stations.A }),
      ),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(8);
    for (const a of acks.filter((x) => !x.ok)) expect(a).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    // A pause refills the budget.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await client.subscribe(w.stations.A)).toEqual({ ok: true });
    // Sending on regardless ends the connection.
    for (let i = 0; i < 40 && client.socket.connected; i++) {
      client.socket.emit('unsubscribe', { stationId: w.stations.A });
    }
    await expect(closed).resolves.toEqual({ code: 'RATE_LIMITED' });
    await expect(disconnected).resolves.toBe('io server disconnect');
    const text = await metrics();
    expect(text).toMatch(/itn_realtime_limit_refusals_total\{reason="message_rate"\} [1-9]/);
    expect(text).toMatch(/itn_realtime_limit_refusals_total\{reason="disconnected_for_abuse"\} [1-9]/);
  });

  it('refuses a replay of more than REPLAY_MAX_EVENTS events of the station, on sockets and SSE, and points to polling', async () => {
    const before = await lastEventId();
    for (let i = 0; i < 6; i++) await adjust(w.stations.A);
    // Other stations' events do not count against a station's replay.
    const middle = await lastEventId();
    for (let i = 0; i < 20; i++) await adjust(w.stations.B);

    const client = await connect(trader.accessToken);
    const refused = await client.subscribe(w.stations.A, before);
    expect(refused).toMatchObject({ ok: false, code: 'REPLAY_TOO_LONG' });
    expect((refused as unknown as { message: string }).message).toContain('/api/updates/real-time');
    const fromMiddle = await client.subscribe(w.stations.A, middle);
    expect(fromMiddle).toEqual({ ok: true, replayed: 0 });
    expect(await client.subscribe(w.stations.B, middle)).toMatchObject({ ok: false, code: 'REPLAY_TOO_LONG' });

    const sse = await SseRecorder.open(`${t.url}/api/updates/real-time?stationId=${w.stations.A}`, {
      Authorization: `Bearer ${trader.accessToken}`,
      'Last-Event-ID': before,
    });
    expect(sse.status).toBe(409);
    expectErrorFormat(sse.errorBody, 409, 'UPDATES.REPLAY_TOO_LONG');
    // Polling pages through the same events.
    const page = await trader.get(`/api/updates/real-time?stationId=${w.stations.A}&after=${before}`).expect(200);
    expect(page.body.events).toHaveLength(6);
    expect(await metrics()).toMatch(/itn_realtime_limit_refusals_total\{reason="replay"\} [1-9]/);
  });

  it('refuses a replay from before the oldest event the log still holds', async () => {
    await adjust(w.stations.C);
    const seen = await lastEventId();
    await adjust(w.stations.C);
    await adjust(w.stations.C);
    const client = await connect(trader.accessToken);
    // Retention pruned everything up to and including what the client saw, and one more.
    await t.dataSource.query('DELETE FROM events WHERE id <= $1::bigint + 1', [seen]);
    expect(await client.subscribe(w.stations.C, seen)).toMatchObject({ ok: false, code: 'REPLAY_TOO_LONG' });
  });

  it('shows every limit in /metrics', async () => {
    const text = await metrics();
    expect(text).toContain('itn_realtime_limit{limit="sockets_per_user"} 3');
    expect(text).toContain('itn_realtime_limit{limit="subscriptions_per_socket"} 2');
    expect(text).toContain('itn_realtime_limit{limit="message_burst"} 8');
    expect(text).toContain('itn_realtime_limit{limit="messages_per_second"} 2');
    expect(text).toContain('itn_realtime_limit{limit="replay_max_events"} 5');
  });
});
