import { ConfigService } from '@nestjs/config';
import { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { startApiProcess } from './helpers/api-process';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { RealtimeClient } from './helpers/realtime-client';
import { SseRecorder } from './helpers/sse-recorder';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { stopGracefully } from './helpers/worker-process';
import { buildWorld, World } from './helpers/world';

/** What a socket was told besides events: revoked subscriptions and why it was closed. */
function recordNotices(client: RealtimeClient) {
  const notices: { type: string; info: Record<string, unknown>; at: number }[] = [];
  for (const type of ['subscription.revoked', 'session.closed', 'session.expired']) {
    client.socket.on(type, (info: Record<string, unknown>) => notices.push({ type, info, at: Date.now() }));
  }
  const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
  return { notices, disconnected };
}

/** An HS256 token with exactly these claims, which jsonwebtoken's sign would refuse to make. */
function forge(claims: object, secret: string, opts: { issuer: string; audience: string }): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ ...claims, iss: opts.issuer, aud: opts.audience })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/**
 * A user's access is what the database says now, not what their token said: a removed
 * membership, a demotion or a deleted account stops live delivery on every instance within a
 * second, and guards read the current role.
 */
describe('Access changes reach live streams and guards (e2e)', () => {
  let t: TestApp;
  let other: { child: ChildProcess; url: string };
  let admin: Actor;
  let w: World;
  const clients: RealtimeClient[] = [];
  const streams: SseRecorder[] = [];

  beforeAll(async () => {
    // Shipments stay scheduled here, so the only events are the ones each test makes.
    t = await createTestApp({ SIM_TIME_SCALE: '1' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE'] });
    other = await startApiProcess({ SEED_DEMO: 'false', SIM_TIME_SCALE: '1', WORKER_MODE: 'off' });
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
    while (streams.length) streams.pop()!.close();
  });
  afterAll(async () => {
    await stopGracefully(other.child);
    await t.close();
  });

  const connect = async (url: string, token: string) => {
    const client = await RealtimeClient.connect(url, token);
    clients.push(client);
    return client;
  };
  const sse = async (url: string, token: string, query = '') => {
    const stream = await SseRecorder.open(`${url}/api/updates/real-time${query}`, {
      Authorization: `Bearer ${token}`,
    });
    streams.push(stream);
    return stream;
  };
  /** How the service signs its tokens, for tokens made by hand. */
  const signing = () => {
    const config = t.app.get(ConfigService);
    return {
      algorithm: 'HS256' as const,
      issuer: config.get<string>('JWT_ISSUER')!,
      audience: config.get<string>('JWT_AUDIENCE')!,
    };
  };
  /** An event on each station, marked so that the test can tell which it got. */
  const touch = async (mark: number) => {
    for (const s of [w.stations.A, w.stations.B]) {
      await admin
        .post(`/api/inventory/${s}/adjustments`)
        .send({ commodityId: w.commodities.ORE, delta: mark, reason: 'probe' })
        .expect(201);
    }
  };
  const gotMark = (events: { type?: string; data: Record<string, unknown> }[], station: string, mark: number) =>
    events.some((e) => e.data.stationId === station && e.data.delta === mark);

  it('stops a station within a second of the membership being removed, on every instance, sockets and SSE alike', async () => {
    const trader = await createActor(t, 'trader', [w.stations.A, w.stations.B]);
    const here = await connect(t.url, trader.accessToken);
    const there = await connect(other.url, trader.accessToken);
    for (const c of [here, there]) {
      expect(await c.subscribe(w.stations.A)).toEqual({ ok: true });
      expect(await c.subscribe(w.stations.B)).toEqual({ ok: true });
    }
    const noticesThere = recordNotices(there);
    const stationStream = await sse(other.url, trader.accessToken, `?stationId=${w.stations.A}`);
    const allStream = await sse(other.url, trader.accessToken);
    await touch(101);
    await here.waitFor((e) => e.data.delta === 101 && e.data.stationId === w.stations.A);
    await there.waitFor((e) => e.data.delta === 101 && e.data.stationId === w.stations.A);
    await allStream.waitFor((e) => e.data.data !== undefined && (e.data.data as { delta?: number }).delta === 101);

    const removedAt = Date.now();
    await admin.delete(`/api/stations/${w.stations.A}/members/${trader.id}`).expect(204);
    const revoked = await eventually(() => {
      const notice = noticesThere.notices.find((n) => n.type === 'subscription.revoked');
      if (!notice) throw new Error('not revoked yet');
      return notice;
    });
    expect(revoked.info).toEqual({ stationId: w.stations.A, code: 'AUTH.STATION_FORBIDDEN' });
    expect(revoked.at - removedAt).toBeLessThan(1000);
    await stationStream.waitForEnd(1000);
    expect(stationStream.events.at(-1)).toEqual({
      event: 'subscription.revoked',
      id: undefined,
      data: { stationId: w.stations.A, code: 'AUTH.STATION_FORBIDDEN' },
    });

    await touch(102);
    for (const c of [here, there]) {
      await c.waitFor((e) => e.data.delta === 102 && e.data.stationId === w.stations.B);
      expect(gotMark(c.received, w.stations.A, 102)).toBe(false);
    }
    const bEvent = await allStream.waitFor((e) => (e.data.data as { delta?: number } | undefined)?.delta === 102);
    expect((bEvent.data.data as { stationId: string }).stationId).toBe(w.stations.B);
    expect(
      gotMark(
        allStream.events.map((e) => e.data as never),
        w.stations.A,
        102,
      ),
    ).toBe(false);
    // And it may not come back by subscribing again, on either instance.
    for (const c of [here, there]) {
      expect(await c.subscribe(w.stations.A)).toMatchObject({ ok: false, code: 'AUTH.STATION_FORBIDDEN' });
    }
    const refused = await request(other.url)
      .get(`/api/inventory/${w.stations.A}`)
      .set('Authorization', `Bearer ${trader.accessToken}`)
      .expect(403);
    expectErrorFormat(refused.body, 403, 'AUTH.STATION_FORBIDDEN');
  });

  it('takes an admin demoted in the database off the stations they are not a member of, and off admin routes', async () => {
    const demoted = await createActor(t, 'admin', [w.stations.B]);
    const here = await connect(t.url, demoted.accessToken);
    const there = await connect(other.url, demoted.accessToken);
    for (const c of [here, there]) {
      expect(await c.subscribe(w.stations.A)).toEqual({ ok: true });
      expect(await c.subscribe(w.stations.B)).toEqual({ ok: true });
    }
    const notices = [recordNotices(here), recordNotices(there)];
    const allStream = await sse(other.url, demoted.accessToken);
    // Admin routes work while they are an admin (and their role is cached).
    await request(other.url)
      .get(`/api/stations/${w.stations.A}/members`)
      .set('Authorization', `Bearer ${demoted.accessToken}`)
      .expect(200);

    await t.dataSource.query(`UPDATE users SET role = 'trader' WHERE id = $1`, [demoted.id]);
    for (const n of notices) {
      await eventually(
        () =>
          expect(n.notices.map((x) => x.info)).toContainEqual({
            stationId: w.stations.A,
            code: 'AUTH.STATION_FORBIDDEN',
          }),
        1000,
      );
    }
    await touch(201);
    for (const c of [here, there]) {
      await c.waitFor((e) => e.data.delta === 201 && e.data.stationId === w.stations.B);
      expect(gotMark(c.received, w.stations.A, 201)).toBe(false);
    }
    await allStream.waitFor((e) => (e.data.data as { delta?: number } | undefined)?.delta === 201);
    expect(allStream.events.filter((e) => (e.data.data as { delta?: number } | undefined)?.delta === 201)).toHaveLength(
      1,
    );
    // The token still says admin; the guards read the role the user has now, on every instance.
    for (const url of [t.url, other.url]) {
      const res = await request(url)
        .post('/api/planets')
        .set('Authorization', `Bearer ${demoted.accessToken}`)
        .send({ name: 'Nope', position: { x: 9, y: 9, z: 9 } })
        .expect(403);
      expectErrorFormat(res.body, 403, 'AUTH.FORBIDDEN');
      await request(url)
        .get(`/api/inventory/${w.stations.A}`)
        .set('Authorization', `Bearer ${demoted.accessToken}`)
        .expect(403);
      await request(url).get('/admin/queues').set('Authorization', `Bearer ${demoted.accessToken}`).expect(403);
    }
  });

  it('closes the sockets and streams of a deleted account and refuses its token everywhere', async () => {
    const gone = await createActor(t, 'trader', [w.stations.A]);
    const here = await connect(t.url, gone.accessToken);
    const there = await connect(other.url, gone.accessToken);
    for (const c of [here, there]) expect(await c.subscribe(w.stations.A)).toEqual({ ok: true });
    const notices = [recordNotices(here), recordNotices(there)];
    const stream = await sse(other.url, gone.accessToken, `?stationId=${w.stations.A}`);
    await request(t.url).get('/api/auth/me').set('Authorization', `Bearer ${gone.accessToken}`).expect(200);

    const deletedAt = Date.now();
    await t.dataSource.query('DELETE FROM users WHERE id = $1', [gone.id]);
    for (const n of notices) {
      await expect(n.disconnected).resolves.toBe('io server disconnect');
      expect(n.notices.find((x) => x.type === 'session.closed')?.info).toEqual({ code: 'AUTH.ACCOUNT_REMOVED' });
    }
    expect(Date.now() - deletedAt).toBeLessThan(1500);
    await stream.waitForEnd(1000);
    expect(stream.events.at(-1)?.event).toBe('session.closed');
    for (const url of [t.url, other.url]) {
      const res = await eventually(async () =>
        request(url).get('/api/auth/me').set('Authorization', `Bearer ${gone.accessToken}`).expect(401),
      );
      expectErrorFormat(res.body, 401, 'AUTH.UNAUTHORIZED');
      await expect(RealtimeClient.connect(url, gone.accessToken)).rejects.toMatchObject({
        data: { code: 'AUTH.UNAUTHORIZED' },
      });
    }
  });

  it('gives a newly granted station to open sockets at once, on every instance', async () => {
    const trader = await createActor(t, 'trader', [w.stations.B]);
    const there = await connect(other.url, trader.accessToken);
    expect(await there.subscribe(w.stations.A)).toMatchObject({ ok: false, code: 'AUTH.STATION_FORBIDDEN' });
    await admin.post(`/api/stations/${w.stations.A}/members`).send({ userId: trader.id }).expect(201);
    await eventually(async () => expect(await there.subscribe(w.stations.A)).toEqual({ ok: true }), 1000);
  });

  it('ends an SSE stream when its access token expires, with a last session.expired event', async () => {
    const trader = await createActor(t, 'trader', [w.stations.A]);
    const secret = t.app.get(ConfigService).get<string>('JWT_SECRET')!;
    const claims = { sub: trader.id, role: 'trader' };
    for (const url of [t.url, other.url]) {
      const shortLived = jwt.sign(claims, secret, { ...signing(), expiresIn: 2 });
      const stream = await sse(url, shortLived, `?stationId=${w.stations.A}`);
      expect({ status: stream.status, body: stream.errorBody }).toEqual({ status: 200, body: undefined });
      await stream.waitForEnd(5000);
      expect(stream.events.at(-1)).toEqual({
        event: 'session.expired',
        id: undefined,
        data: { code: 'AUTH.TOKEN_EXPIRED' },
      });
    }
  });

  it('refuses tokens without an expiry, an issue time or a proper subject, or past the access TTL, on REST, SSE and sockets', async () => {
    const trader = await createActor(t, 'trader', [w.stations.A]);
    const secret = t.app.get(ConfigService).get<string>('JWT_SECRET')!;
    const base = signing();
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      jwt.sign({ sub: trader.id, role: 'trader' }, secret, base), // no exp
      jwt.sign({ sub: trader.id, role: 'trader' }, secret, { ...base, expiresIn: 600, noTimestamp: true }), // no iat
      jwt.sign({ role: 'trader' }, secret, { ...base, expiresIn: 600 }), // no sub
      jwt.sign({ sub: '', role: 'trader' }, secret, { ...base, expiresIn: 600 }),
      jwt.sign({ sub: 'not-a-uuid', role: 'admin' }, secret, { ...base, expiresIn: 600 }),
      jwt.sign({ sub: trader.id.toUpperCase(), role: 'trader' }, secret, { ...base, expiresIn: 600 }),
      forge({ sub: trader.id, role: 'trader', iat: now, exp: 'never' }, secret, base),
      forge({ sub: trader.id, role: 'trader', iat: 'now', exp: now + 600 }, secret, base),
      // Longer-lived than JWT_ACCESS_TTL (900 s here), or issued in the future.
      jwt.sign({ sub: trader.id, role: 'trader' }, secret, { ...base, expiresIn: 10 * 365 * 86_400 }),
      forge({ sub: trader.id, role: 'trader', iat: now, exp: 1e300 }, secret, base),
      forge({ sub: trader.id, role: 'trader', iat: now + 3_600, exp: now + 3_900 }, secret, base),
    ];
    for (const token of forged) {
      const res = await request(t.url).get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      expectErrorFormat(res.body, 401, 'AUTH.UNAUTHORIZED');
      const stream = await sse(t.url, token);
      expect(stream.status).toBe(401);
      await expect(RealtimeClient.connect(t.url, token)).rejects.toMatchObject({ data: { code: 'AUTH.UNAUTHORIZED' } });
    }
    // The same claims with all of them set are accepted: the refusals above are about what is missing.
    const good = jwt.sign({ sub: trader.id, role: 'trader' }, secret, { ...base, expiresIn: 600 });
    await request(t.url).get('/api/auth/me').set('Authorization', `Bearer ${good}`).expect(200);
    // A role in the token is not a role: the user's own role decides.
    const claimsAdmin = jwt.sign({ sub: trader.id, role: 'admin' }, secret, { ...base, expiresIn: 600 });
    await request(t.url)
      .get(`/api/inventory/${w.stations.B}`)
      .set('Authorization', `Bearer ${claimsAdmin}`)
      .expect(403);
  });

  it('treats a station id in any case as the same station, on sockets and REST', async () => {
    const trader = await createActor(t, 'trader', [w.stations.A]);
    const client = await connect(t.url, trader.accessToken);
    expect(await client.subscribe(w.stations.A.toUpperCase())).toEqual({ ok: true });
    // Subscribing again in another case is the same subscription.
    expect(await client.subscribe(w.stations.A)).toEqual({ ok: true, replayed: 0 });
    await touch(301);
    await client.waitFor((e) => e.data.delta === 301 && e.data.stationId === w.stations.A);
    expect(client.received.filter((e) => e.data.delta === 301)).toHaveLength(1);
    expect(
      await client.socket.timeout(5000).emitWithAck('unsubscribe', { stationId: w.stations.A.toUpperCase() }),
    ).toEqual({
      ok: true,
    });
    await touch(302);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.received.some((e) => e.data.delta === 302)).toBe(false);
    await trader.get(`/api/inventory/${w.stations.A.toUpperCase()}`).expect(200);
    await trader.get(`/api/updates/real-time?stationId=${w.stations.A.toUpperCase()}`).expect(200);
  });
});
