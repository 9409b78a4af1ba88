import type { Environment } from '@itn/core';
import { InventoryReadShortcut } from '@itn/fast-path';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { randomBytes, randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type request from 'supertest';
import { AddressClient, RawResponse } from './helpers/address-client';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { describeEachRateLimitStore } from './helpers/test-env';
import { buildWorld, World } from './helpers/world';

/**
 * Rate limits against the real service, counted in Redis and in memory: every request counts, whatever its answer,
 * in one budget per caller (user or address) shared by every route; login, register and
 * refresh also share a stricter budget per address. Callers of their own are clients of their
 * own loopback addresses (AddressClient) or users of their own.
 */
describeEachRateLimitStore('Rate limits (e2e)', (store) => {
  const LIMIT = 24;
  // Above the logins of the actors the tests create (from 127.0.0.1), which count in it too.
  const AUTH_LIMIT = 12;
  let t: TestApp;
  let admin: Actor;
  let member: Actor;
  let w: World;
  const clients: AddressClient[] = [];
  const fastPathsOn = () =>
    t.app.get<ConfigService<Environment, true>>(ConfigService).get('FAST_PATHS', { infer: true }) === 'on';

  const client = () => {
    const c = new AddressClient(t.url);
    clients.push(c);
    return c;
  };
  const remaining = (res: RawResponse | request.Response, suffix = '') =>
    Number(res.headers[`x-ratelimit-remaining${suffix}`]);
  /** What X-RateLimit-Remaining says on each of n answers from a fresh budget of `limit`. */
  const countdown = (n: number, limit = LIMIT) => Array.from({ length: n }, (_, i) => limit - 1 - i);
  /** Connects to Socket.IO from a loopback address: the socket, or the data of the refusal. */
  const connectFrom = (address: string, token?: string) =>
    new Promise<{ socket?: Socket; refused?: { code: string; retryAfterSeconds?: number } }>((resolve) => {
      const socket = io(t.url, {
        path: '/socket.io',
        transports: ['websocket'],
        auth: token === undefined ? {} : { token },
        reconnection: false,
        forceNew: true,
        localAddress: address,
      } as Parameters<typeof io>[1]);
      socket.once('connect', () => resolve({ socket }));
      socket.once('connect_error', (err: Error & { data?: { code: string; retryAfterSeconds?: number } }) => {
        socket.close();
        resolve({ refused: err.data });
      });
    });
  const expectRateLimited = (res: RawResponse | request.Response) => {
    expect(res.status).toBe(429);
    expectErrorFormat(res.body, 429, 'REQUEST.RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    // A long window, so that no budget starts over while a test runs.
    t = await createTestApp({
      RATE_LIMIT_STORE: store,
      RATE_LIMIT_MAX: String(LIMIT),
      AUTH_RATE_LIMIT_MAX: String(AUTH_LIMIT),
      RATE_LIMIT_TTL_SECONDS: '600',
    });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE'] });
    await admin
      .post(`/api/inventory/${w.stations.A}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 10, reason: 'Opening stock' })
      .expect(201);
    member = await createActor(t, 'trader', [w.stations.A]);
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await t.close();
  });

  it('refuses a flood of bad tokens from one address once the address has spent its budget', async () => {
    const attacker = client();
    const expired = t.app.get(JwtService).sign({ sub: member.id, role: 'trader' }, { expiresIn: -60 });
    const forged = `${member.accessToken.slice(0, -4)}AAAA`;
    const tokens = ['not-a-token', forged, expired, undefined];
    const answers: RawResponse[] = [];
    for (let i = 0; i < LIMIT; i++) answers.push(await attacker.get('/api/stations', { token: tokens[i % 4] }));
    expect(answers.map((r) => r.status)).toEqual(Array(LIMIT).fill(401));
    expect(answers.map((r) => (r.body as { code: string }).code)).toContain('AUTH.TOKEN_EXPIRED');
    expect(answers.map((r) => remaining(r))).toEqual(countdown(LIMIT));

    const refused = await attacker.get('/api/stations', {
      token: forged,
      headers: { origin: 'http://localhost:3000' },
    });
    expectRateLimited(refused);
    // A browser may read it.
    expect(refused.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(refused.headers['x-request-id']).toBe((refused.body as { requestId: string }).requestId);
    // Whatever the address sends next, wherever.
    expectRateLimited(await attacker.get('/api/commodities', { token: expired }));
    expectRateLimited(await attacker.get('/api/nowhere'));
    expectRateLimited(
      await attacker.post('/api/auth/login', { json: { email: member.email, password: 'x'.repeat(12) } }),
    );

    // A valid token is its user's budget, whatever the address; another address has its own.
    expect((await attacker.get('/api/stations', { token: member.accessToken })).status).toBe(200);
    expect((await client().get('/api/stations', { token: forged })).status).toBe(401);
  });

  it('refuses a trader who probes stations and routes they may not use once their budget is spent', async () => {
    const prober = await createActor(t, 'trader', [w.stations.A]);
    const probes: [() => request.Test, string][] = [
      [() => prober.get(`/api/inventory/${randomUUID()}`), 'AUTH.STATION_FORBIDDEN'],
      [() => prober.get(`/api/stations/${w.stations.B}/members`), 'AUTH.STATION_FORBIDDEN'],
      [() => prober.get(`/api/cargo?stationId=${randomUUID()}`), 'AUTH.STATION_FORBIDDEN'],
      [() => prober.post(`/api/stations/${w.stations.B}/members`).send({ userId: prober.id }), 'AUTH.FORBIDDEN'],
    ];
    const answers: request.Response[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const [probe, code] = probes[i % probes.length];
      const res = await probe();
      expectErrorFormat(res.body, 403, code);
      answers.push(res);
    }
    expect(answers.map((r) => remaining(r))).toEqual(countdown(LIMIT));

    for (const [probe] of probes) expectRateLimited(await probe());
    // The budget is the caller's: their own station's inventory is refused too.
    expectRateLimited(await prober.get(`/api/inventory/${w.stations.A}`));
  });

  it('counts one budget per caller across every route, cached inventory reads and refusals included', async () => {
    const hopper = await createActor(t, 'trader', [w.stations.A]);
    const inventory = `/api/inventory/${w.stations.A}`;
    // Registered only with FAST_PATHS on (the default); with it off every read takes the router.
    const shortcut = fastPathsOn() ? jest.spyOn(t.app.get(InventoryReadShortcut), 'answer') : undefined;
    const anywhere = client();
    const routes: [string, () => Promise<RawResponse | request.Response>][] = [
      ['read (router, then cached)', () => hopper.get(inventory)],
      ['cached read', () => hopper.get(inventory)],
      ['me', () => hopper.get('/api/auth/me')],
      ['stations', () => hopper.get('/api/stations')],
      ['unknown route', () => hopper.get('/api/nowhere')],
      ['malformed id', () => hopper.get('/api/inventory/not-a-uuid')],
      ['malformed URL', () => anywhere.get('/api/stations/%E0%A4%A', { token: hopper.accessToken })],
      ['malformed JSON', () => anywhere.post('/api/trades', { token: hopper.accessToken, rawJson: '{"items":' })],
      ['invalid body', () => hopper.post('/api/trades').send({ items: [] })],
      ['unknown shipment', () => hopper.get(`/api/cargo/${randomUUID()}`)],
      ['trades', () => hopper.get(`/api/trades?stationId=${w.stations.A}`)],
      ['docs', () => anywhere.get('/docs-json', { token: hopper.accessToken })],
      ['metrics (not served here)', () => anywhere.get('/metrics', { token: hopper.accessToken })],
    ];
    const statuses: string[] = [];
    const left: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const [name, send] = routes[i % routes.length];
      const res = await send();
      statuses.push(`${name}: ${res.status}`);
      left.push(remaining(res));
    }
    expect(statuses.slice(0, routes.length)).toEqual([
      'read (router, then cached): 200',
      'cached read: 200',
      'me: 200',
      'stations: 200',
      'unknown route: 404',
      'malformed id: 400',
      'malformed URL: 400',
      'malformed JSON: 400',
      'invalid body: 400',
      'unknown shipment: 404',
      'trades: 200',
      'docs: 200',
      'metrics (not served here): 404',
    ]);
    expect(left).toEqual(countdown(LIMIT));
    // Reads answered without the router were counted in the same budget as the others.
    if (shortcut) expect(shortcut.mock.results.filter((r) => r.value === true).length).toBeGreaterThan(0);

    shortcut?.mockClear();
    for (const [, send] of routes) expectRateLimited(await send());
    // Refused before any route runs: the shortcut was not even asked.
    if (shortcut) expect(shortcut).not.toHaveBeenCalled();
    shortcut?.mockRestore();
  });

  it('makes login, register and refresh share one stricter budget per address, on top of the general one', async () => {
    const guesser = client();
    const fakeRefresh = `${randomUUID()}.${randomBytes(32).toString('base64url')}`;
    const attempts: [string, () => Promise<RawResponse>][] = [
      ['login', () => guesser.post('/api/auth/login', { json: { email: member.email, password: 'wrong-password-1' } })],
      [
        'register',
        () =>
          guesser.post('/api/auth/register', {
            json: { email: `${randomUUID()}@test.local`, password: 'p'.repeat(12) },
          }),
      ],
      ['refresh', () => guesser.post('/api/auth/refresh', { json: { refreshToken: fakeRefresh } })],
      // A token buys no budget of its own for guessing passwords.
      [
        'login with a token',
        () =>
          guesser.post('/api/auth/login', {
            token: member.accessToken,
            json: { email: member.email, password: 'wrong-password-2' },
          }),
      ],
    ];
    const statuses: string[] = [];
    const auth: number[] = [];
    const general: number[] = [];
    for (let i = 0; i < AUTH_LIMIT; i++) {
      const [name, send] = attempts[i % attempts.length];
      const res = await send();
      statuses.push(`${name}: ${res.status}`);
      auth.push(remaining(res, '-auth'));
      general.push(remaining(res));
    }
    expect(statuses.slice(0, attempts.length)).toEqual([
      'login: 401',
      'register: 201',
      'refresh: 401',
      'login with a token: 401',
    ]);
    expect(auth).toEqual(countdown(AUTH_LIMIT, AUTH_LIMIT));
    // They count in the general budget too: of the address, or of the token's user.
    const ofAddress = general.filter((_, i) => attempts[i % attempts.length][0] !== 'login with a token');
    expect(ofAddress).toEqual(countdown(ofAddress.length));

    for (const [, send] of attempts) expectRateLimited(await send());
    // The stricter budget is the auth routes' only: the address may still use the others.
    const elsewhere = await guesser.get('/api/stations');
    expectErrorFormat(elsewhere.body, 401, 'AUTH.UNAUTHORIZED');
  });

  it('counts Socket.IO connection attempts in the same budgets as requests', async () => {
    const flooder = client();
    for (let i = 0; i < LIMIT; i++) {
      const { refused } = await connectFrom(flooder.address, i % 2 === 0 ? 'not-a-token' : undefined);
      expect(refused?.code).toBe('AUTH.UNAUTHORIZED');
    }
    const over = await connectFrom(flooder.address, 'not-a-token');
    expect(over.refused).toEqual({ code: 'REQUEST.RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(over.refused!.retryAfterSeconds).toBeGreaterThan(0);
    expectRateLimited(await flooder.get('/api/stations'));

    // A valid token's connection counts in its user's budget; its handshake, made before any
    // token is seen, in its address's.
    const user = await createActor(t, 'trader', [w.stations.A]);
    const before = remaining(await user.get('/api/auth/me').expect(200));
    const elsewhere = client();
    const { socket } = await connectFrom(elsewhere.address, user.accessToken);
    expect(socket?.connected).toBe(true);
    socket!.close();
    expect(remaining(await user.get('/api/auth/me').expect(200))).toBe(before - 2);
    expect(remaining(await elsewhere.get('/api/stations'))).toBe(LIMIT - 2);
  });

  it('keeps the health probes out of the limits, and only them', async () => {
    const prober = client();
    for (let i = 0; i < LIMIT; i++) expect((await prober.get('/api/nowhere')).status).toBe(404);
    expectRateLimited(await prober.get('/api/nowhere'));
    expectRateLimited(await prober.get('/metrics'));
    expectRateLimited(await prober.get('/docs-json'));
    expectRateLimited(await prober.post('/health/live'));
    expectRateLimited(await prober.get('/health/nowhere'));
    for (const path of ['/health/live', '/health/ready']) {
      const res = await prober.get(path);
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
  });
});
