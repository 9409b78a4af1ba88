import { GlobalGuards, StationAccessPolicy } from '@itn/auth';
import { InventoryReadShortcut } from '@itn/inventory';
import { InventoryController } from '../libs/inventory/src/inventory.controller';
import { CanActivate, Controller, Get, UseGuards, UseInterceptors, type NestInterceptor } from '@nestjs/common';
import request from 'supertest';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

/**
 * Cached inventory reads are answered by InventoryReadShortcut, outside Nest's router. These
 * tests hold it to the router's answers and refusals, and check which of the two answered.
 */
describe('Inventory reads without the router (e2e)', () => {
  const LIMIT = 20;
  let t: TestApp;
  let admin: Actor;
  let member: Actor;
  let outsider: Actor;
  let w: World;
  let answered: jest.SpyInstance<boolean, Parameters<InventoryReadShortcut['answer']>>;

  /** Whether each request since the last call was answered by the shortcut. */
  const shortcutAnswers = () => {
    const results = answered.mock.results.map((r) => r.value as boolean);
    answered.mockClear();
    return results;
  };
  /** Makes the next request of this user go to the router (its memberships must be read). */
  const forgetMemberships = (who: Actor) => t.app.get(StationAccessPolicy).forget(who.id);

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: String(LIMIT) });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE', 'ICE'] });
    await admin
      .post(`/api/inventory/${w.stations.A}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 40, reason: 'Opening stock' })
      .expect(201);
    member = await createActor(t, 'trader', [w.stations.A]);
    outsider = await createActor(t, 'trader', [w.stations.B]);
    answered = jest.spyOn(t.app.get(InventoryReadShortcut), 'answer');
  });
  afterAll(() => t.close());

  beforeEach(() => answered.mockClear());

  /** The headers two answers must share: all but those that differ per request. */
  const stableHeaders = (headers: Record<string, string>) => {
    const { date, 'x-request-id': id, 'x-ratelimit-remaining': left, 'x-ratelimit-reset': reset, ...rest } = headers;
    expect([date, id, left, reset].every((v) => typeof v === 'string')).toBe(true);
    return rest;
  };

  it('answers a cached read as the router does, 200 and 304 alike', async () => {
    const path = `/api/inventory/${w.stations.A}`;
    forgetMemberships(member);
    const first = await member.get(path).expect(200); // not cached yet: the router reads it
    const viaShortcut = await member.get(path).expect(200);
    forgetMemberships(member);
    const viaRouter = await member.get(path).expect(200); // cached, but memberships to read
    expect(shortcutAnswers()).toEqual([false, true, false]);

    expect(viaShortcut.body).toEqual(first.body);
    expect(viaShortcut.text).toBe(viaRouter.text);
    expect(viaShortcut.body.items).toEqual([expect.objectContaining({ commodityId: w.commodities.ORE, onHand: 40 })]);
    expect(stableHeaders(viaShortcut.headers)).toEqual(stableHeaders(viaRouter.headers));
    expect(viaShortcut.headers['x-ratelimit-limit']).toBe(String(LIMIT));

    const etag = viaShortcut.headers.etag;
    const notModified = await member.get(path).set('If-None-Match', etag).expect(304);
    forgetMemberships(member);
    const notModifiedByRouter = await member.get(path).set('If-None-Match', etag).expect(304);
    expect(shortcutAnswers()).toEqual([true, false]);
    expect(notModified.text).toBe('');
    expect(stableHeaders(notModified.headers)).toEqual(stableHeaders(notModifiedByRouter.headers));

    // Ids are compared in lower case, as the router's UuidParam answers them.
    const upper = await member.get(path.toUpperCase().replace('/API/INVENTORY/', '/api/inventory/')).expect(200);
    expect(upper.text).toBe(first.text);
    expect(shortcutAnswers()).toEqual([true]);
  });

  it('leaves every refusal to the router, in the error format', async () => {
    const path = `/api/inventory/${w.stations.A}`;
    await member.get(path).expect(200); // cached

    expectErrorFormat((await request(t.url).get(path).expect(401)).body, 401, 'AUTH.UNAUTHORIZED');
    const forged = `${member.accessToken.slice(0, -4)}AAAA`;
    const badToken = await request(t.url).get(path).set('Authorization', `Bearer ${forged}`).expect(401);
    expectErrorFormat(badToken.body, 401, 'AUTH.UNAUTHORIZED');
    // Twice: once with the outsider's memberships still to read, once with them known.
    for (let i = 0; i < 2; i++) {
      expectErrorFormat((await outsider.get(path).expect(403)).body, 403, 'AUTH.STATION_FORBIDDEN');
    }
    expectErrorFormat((await member.get('/api/inventory/not-a-uuid').expect(400)).body, 400, 'REQUEST.INVALID_ID');
    expect(shortcutAnswers()).toEqual([true, false, false, false, false, false]);

    // Admins too: once their current role is known, answered from memory as well.
    t.app.get(StationAccessPolicy).forget(admin.id);
    await admin.get(path).expect(200);
    await admin.get(path).expect(200);
    expect(shortcutAnswers()).toEqual([false, true]);
  });

  it('a revoked membership refuses the next read', async () => {
    const trader = await createActor(t, 'trader', [w.stations.A]);
    const path = `/api/inventory/${w.stations.A}`;
    await trader.get(path).expect(200);
    await trader.get(path).expect(200);
    await admin.delete(`/api/stations/${w.stations.A}/members/${trader.id}`).expect(204);
    expectErrorFormat((await trader.get(path).expect(403)).body, 403, 'AUTH.STATION_FORBIDDEN');
    expect(shortcutAnswers()).toEqual([false, true, false]);
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
    const limited = await trader.get(path).expect(429);
    expectErrorFormat(limited.body, 429, 'REQUEST.RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Blocked: refused on arrival, before the shortcut or the router is asked.
    await trader.get(path).expect(429);
    expect(shortcutAnswers()).toEqual(Array.from({ length: LIMIT }, (_, i) => i % 3 !== 0));
  });

  it('still measures what it answers', async () => {
    const path = `/api/inventory/${w.stations.A}`;
    await member.get(path).expect(200); // the member's access is known from here on
    shortcutAnswers();
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
    expect(shortcutAnswers()).toEqual([true, true, true]);
    expect(await count()).toBe(before + 3);
  });

  it('refuses, at start-up, to shortcut a route with guards or interceptors of its own', () => {
    class OwnGuard implements CanActivate {
      canActivate = () => false;
    }
    class OwnInterceptor implements NestInterceptor {
      intercept: NestInterceptor['intercept'] = (_context, next) => next.handle();
    }
    @Controller('guarded')
    class Guarded {
      @Get()
      @UseGuards(OwnGuard)
      read() {}
    }
    @Controller('intercepted')
    @UseInterceptors(OwnInterceptor)
    class Intercepted {
      @Get()
      read() {}
    }
    const guards = t.app.get(GlobalGuards);
    expect(() => guards.assertOnlyGlobal(Guarded, 'read')).toThrow(/Guarded.read has __guards__/);
    expect(() => guards.assertOnlyGlobal(Intercepted, 'read')).toThrow(/Intercepted.read has __interceptors__/);
    expect(() => guards.assertOnlyGlobal(InventoryController, 'get')).not.toThrow();
  });
});
