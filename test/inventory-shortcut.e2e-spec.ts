import { StationAccessPolicy } from '@itn/auth';
import { HttpFastPaths, ROUTE_METADATA_MEMO } from '@itn/core';
import { SocketWriteBatching } from '@itn/events';
import { InventoryReadShortcut, RouteShortcuts } from '@itn/fast-path';
import request from 'supertest';
import { startApiProcess } from './helpers/api-process';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { stopGracefully } from './helpers/worker-process';
import { buildWorld, World } from './helpers/world';

/** What one mode answered, for the comparison of the two modes at the end. */
type Observed = { step: string; status: number; headers: string[]; body: unknown }[];
const observed: Partial<Record<'on' | 'off', Observed>> = {};

/**
 * Cached inventory reads are answered by InventoryReadShortcut, outside Nest's router, when
 * FAST_PATHS is on. These tests hold it to the router's answers and refusals, and check which
 * of the two answered; with FAST_PATHS off the same requests get the same answers from the
 * router alone, and no shortcut is registered at all.
 */
describe.each(['on', 'off'] as const)('Inventory reads with FAST_PATHS=%s (e2e)', (fastPaths) => {
  const LIMIT = 20;
  let t: TestApp;
  let admin: Actor;
  let member: Actor;
  let outsider: Actor;
  let w: World;
  let answered: jest.SpyInstance<boolean, Parameters<InventoryReadShortcut['answer']>> | undefined;
  const seen: Observed = (observed[fastPaths] = []);

  /**
   * Checks which requests since the last call the shortcut answered: those marked true with
   * FAST_PATHS on; with it off, there is no shortcut to ask.
   */
  const expectShortcutAnswered = (expected: boolean[]) => {
    if (!answered) return;
    const results = answered.mock.results.map((r) => r.value as boolean);
    answered.mockClear();
    expect(results).toEqual(expected);
  };
  /** Makes the next request of this user go to the router (its memberships must be read). */
  const forgetMemberships = (who: Actor) => t.app.get(StationAccessPolicy).forget(who.id);
  /** Records an answer for the comparison across modes: status, header names, body without what each app makes up. */
  const record = (step: string, res: request.Response) => {
    seen.push({
      step,
      status: res.status,
      headers: Object.keys(res.headers).sort(),
      body: JSON.parse(JSON.stringify(res.body ?? null), (key, value: unknown) =>
        key.endsWith('Id') || key === 'sku' || key === 'updatedAt' ? '<differs per app>' : value,
      ) as unknown,
    });
    return res;
  };

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: String(LIMIT), FAST_PATHS: fastPaths });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE', 'ICE'] });
    await admin
      .post(`/api/inventory/${w.stations.A}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 40, reason: 'Opening stock' })
      .expect(201);
    member = await createActor(t, 'trader', [w.stations.A]);
    outsider = await createActor(t, 'trader', [w.stations.B]);
    if (fastPaths === 'on') answered = jest.spyOn(t.app.get(InventoryReadShortcut), 'answer');
  });
  afterAll(() => t.close());

  beforeEach(() => answered?.mockClear());

  /** The headers two answers must share: all but those that differ per request. */
  const stableHeaders = (headers: Record<string, string>) => {
    const { date, 'x-request-id': id, 'x-ratelimit-remaining': left, 'x-ratelimit-reset': reset, ...rest } = headers;
    expect([date, id, left, reset].every((v) => typeof v === 'string')).toBe(true);
    return rest;
  };

  it(`registers the fast paths only when on (${fastPaths})`, () => {
    for (const token of [HttpFastPaths, ROUTE_METADATA_MEMO, SocketWriteBatching, RouteShortcuts]) {
      if (fastPaths === 'on') expect(t.app.get(token, { strict: false })).toBeDefined();
      else expect(() => t.app.get(token, { strict: false })).toThrow();
    }
  });

  it('the built API starts with it and answers reads the same', async () => {
    const path = `/api/inventory/${w.stations.A}`;
    const here = await member.get(path).expect(200);
    const { child, url } = await startApiProcess({ FAST_PATHS: fastPaths, WORKER_MODE: 'off', SEED_DEMO: 'false' });
    try {
      for (let i = 0; i < 2; i++) {
        const there = await request(url).get(path).set('Authorization', `Bearer ${member.accessToken}`).expect(200);
        expect(there.text).toBe(here.text);
      }
    } finally {
      await stopGracefully(child);
    }
    answered?.mockClear();
  });

  it('answers a cached read as the router does, 200 and 304 alike', async () => {
    const path = `/api/inventory/${w.stations.A}`;
    forgetMemberships(member);
    const first = record('first read', await member.get(path).expect(200)); // not cached yet: the router reads it
    const viaShortcut = record('cached read', await member.get(path).expect(200));
    forgetMemberships(member);
    const viaRouter = record('cached read, memberships to read', await member.get(path).expect(200));
    expectShortcutAnswered([false, true, false]);

    expect(viaShortcut.body).toEqual(first.body);
    expect(viaShortcut.text).toBe(viaRouter.text);
    expect(viaShortcut.body.items).toEqual([expect.objectContaining({ commodityId: w.commodities.ORE, onHand: 40 })]);
    expect(stableHeaders(viaShortcut.headers)).toEqual(stableHeaders(viaRouter.headers));
    expect(stableHeaders(viaShortcut.headers)).toEqual(stableHeaders(first.headers));
    expect(viaShortcut.headers['x-ratelimit-limit']).toBe(String(LIMIT));
    expect(viaShortcut.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(viaShortcut.headers['cache-control']).toBe('private, no-cache');

    const etag = viaShortcut.headers.etag;
    const notModified = record('304', await member.get(path).set('If-None-Match', etag).expect(304));
    forgetMemberships(member);
    const notModifiedByRouter = record(
      '304, memberships to read',
      await member.get(path).set('If-None-Match', etag).expect(304),
    );
    expectShortcutAnswered([true, false]);
    expect(notModified.text).toBe('');
    expect(stableHeaders(notModified.headers)).toEqual(stableHeaders(notModifiedByRouter.headers));

    // Ids are compared in lower case, as the router's UuidParam answers them.
    const upper = await member.get(path.toUpperCase().replace('/API/INVENTORY/', '/api/inventory/')).expect(200);
    record('upper-case id', upper);
    expect(upper.text).toBe(first.text);
    expectShortcutAnswered([true]);
  });

  it('leaves every refusal to the router, in the error format', async () => {
    const path = `/api/inventory/${w.stations.A}`;
    await member.get(path).expect(200); // cached

    const anonymous = record('no token', await request(t.url).get(path).expect(401));
    expectErrorFormat(anonymous.body, 401, 'AUTH.UNAUTHORIZED');
    const forged = `${member.accessToken.slice(0, -4)}AAAA`;
    const badToken = record(
      'forged token',
      await request(t.url).get(path).set('Authorization', `Bearer ${forged}`).expect(401),
    );
    expectErrorFormat(badToken.body, 401, 'AUTH.UNAUTHORIZED');
    // Twice: once with the outsider's memberships still to read, once with them known.
    for (let i = 0; i < 2; i++) {
      const refused = record(`outsider ${i}`, await outsider.get(path).expect(403));
      expectErrorFormat(refused.body, 403, 'AUTH.STATION_FORBIDDEN');
    }
    const malformed = record('malformed id', await member.get('/api/inventory/not-a-uuid').expect(400));
    expectErrorFormat(malformed.body, 400, 'REQUEST.INVALID_ID');
    expectShortcutAnswered([true, false, false, false, false, false]);

    // Admins too: once their current role is known, answered from memory as well.
    t.app.get(StationAccessPolicy).forget(admin.id);
    record('admin', await admin.get(path).expect(200));
    record('admin again', await admin.get(path).expect(200));
    expectShortcutAnswered([false, true]);
  });

  it('a revoked membership refuses the next read', async () => {
    const trader = await createActor(t, 'trader', [w.stations.A]);
    const path = `/api/inventory/${w.stations.A}`;
    await trader.get(path).expect(200);
    await trader.get(path).expect(200);
    await admin.delete(`/api/stations/${w.stations.A}/members/${trader.id}`).expect(204);
    const revoked = record('revoked', await trader.get(path).expect(403));
    expectErrorFormat(revoked.body, 403, 'AUTH.STATION_FORBIDDEN');
    expectShortcutAnswered([false, true, false]);
  });

  it('counts both ways in one rate-limit budget, and refuses past it whichever way would answer', async () => {
    const trader = await createActor(t, 'trader', [w.stations.A]);
    const path = `/api/inventory/${w.stations.A}`;
    const remaining: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      if (i % 3 === 0) forgetMemberships(trader); // every third through the router
      const res = await trader.get(path).expect(200);
      remaining.push(Number(res.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(Array.from({ length: LIMIT }, (_, i) => LIMIT - 1 - i));
    const limited = record('over budget', await trader.get(path).expect(429));
    expectErrorFormat(limited.body, 429, 'REQUEST.RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Blocked: refused on arrival, before the shortcut or the router is asked.
    await trader.get(path).expect(429);
    expectShortcutAnswered(Array.from({ length: LIMIT }, (_, i) => i % 3 !== 0));
  });

  it('still measures what it answers', async () => {
    const path = `/api/inventory/${w.stations.A}`;
    await member.get(path).expect(200); // the member's access is known from here on
    answered?.mockClear();
    const count = async () => {
      const text = (await request(t.metricsUrl).get('/metrics').expect(200)).text;
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith(
            'http_request_duration_seconds_count{method="GET",route="/api/inventory/:stationId",status_code="200"}',
          ),
        );
      return Number(line?.split(' ').pop());
    };
    const before = await count();
    for (let i = 0; i < 3; i++) await member.get(path).expect(200);
    expectShortcutAnswered([true, true, true]);
    expect(await count()).toBe(before + 3);
  });
});

describe('Inventory reads with FAST_PATHS on and off (e2e)', () => {
  it('got the same statuses, header names and bodies in both modes', () => {
    expect(observed.on).toBeDefined();
    expect(observed.on!.length).toBeGreaterThan(10);
    expect(observed.off).toEqual(observed.on);
  });
});
