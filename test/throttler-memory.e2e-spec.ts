import { AppThrottlerGuard, AuthRateLimit, RouteContext } from '@itn/core';
import { RedisThrottlerStorage } from '../libs/core/src/http/redis-throttler.storage';
import { Controller, Get } from '@nestjs/common';
import { getStorageToken, SkipThrottle, Throttle, type ThrottlerStorage } from '@nestjs/throttler';
import { createTestApp, TestApp } from './helpers/test-app';

@Controller('probe')
class ProbeController {
  @Get('plain')
  plain(): void {}

  @Get('own-limit')
  @Throttle({ default: { limit: 1000, ttl: 60_000 } })
  ownLimit(): void {}

  @Get('unlimited')
  @SkipThrottle()
  unlimited(): void {}

  @Get('login-like')
  @AuthRateLimit()
  loginLike(): void {}
}

/**
 * The throttler's decision without a promise (admitsFromMemory, used by route shortcuts),
 * against the guard of a running app, its throttlers and its Redis-backed storage.
 */
describe('Rate limits decided in memory (e2e)', () => {
  const LIMIT = 5;
  let t: TestApp;
  let guard: AppThrottlerGuard;
  let caller = 0;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: String(LIMIT) });
    guard = t.app.get(AppThrottlerGuard);
  });
  afterAll(() => t.close());

  /** A request of a new caller (a budget of its own) to a method of ProbeController. */
  const requestTo = (method: keyof ProbeController, userId = `user-${++caller}-${Date.now()}`) => {
    const headers = new Map<string, string | number>();
    const reply = { header: (name: string, value: string | number) => void headers.set(name, value) };
    const context = new RouteContext(
      { user: { id: userId }, ip: '127.0.0.1', headers: {} } as never,
      reply as never,
      ProbeController,
      ProbeController.prototype[method],
    );
    return { context, headers, userId };
  };

  it('admits a route under the global limits, counts it once and sets the headers', () => {
    const first = requestTo('plain');
    expect(guard.admitsFromMemory(first.context)).toBe(true);
    // The auth budget does not apply to this route: only the default's headers.
    expect(Object.fromEntries(first.headers)).toEqual({
      'x-ratelimit-limit': LIMIT,
      'x-ratelimit-remaining': LIMIT - 1,
      'x-ratelimit-reset': expect.any(Number),
    });
    const again = requestTo('plain', first.userId);
    expect(guard.admitsFromMemory(again.context)).toBe(true);
    expect(again.headers.get('x-ratelimit-remaining')).toBe(LIMIT - 2);
  });

  it('declines, counting nothing, once the budget has no room: the router answers 429', () => {
    const { userId } = requestTo('plain');
    for (let i = 0; i < LIMIT; i++) expect(guard.admitsFromMemory(requestTo('plain', userId).context)).toBe(true);
    const over = requestTo('plain', userId);
    expect(guard.admitsFromMemory(over.context)).toBe(false);
    expect(over.headers.size).toBe(0);
  });

  it('leaves routes with limits of their own to the router, every time', () => {
    for (let i = 0; i < 2; i++) {
      const own = requestTo('ownLimit');
      expect(guard.admitsFromMemory(own.context)).toBe(false);
      expect(own.headers.size).toBe(0);
    }
  });

  it('counts nothing for a route that skips the limits', () => {
    const skipped = requestTo('unlimited');
    expect(guard.admitsFromMemory(skipped.context)).toBe(true);
    expect(skipped.headers.size).toBe(0);
  });

  it('leaves routes under an exact (Redis-counted) budget to the router, counting no other budget', () => {
    const login = requestTo('loginLike');
    expect(guard.admitsFromMemory(login.context)).toBe(false);
    // The default budget applies too and has room, but was not counted: the router counts it.
    const storage = t.app.get<ThrottlerStorage>(getStorageToken(), { strict: false });
    if (!(storage instanceof RedisThrottlerStorage)) throw new Error('the app counts its limits elsewhere');
    expect(storage.admitsNow(`default:ProbeController.loginLike:user:${login.userId}`, 1, 'default')).toBe(true);
  });

  it('decides each route by its own metadata, whatever was decided for another before', () => {
    expect(guard.admitsFromMemory(requestTo('ownLimit').context)).toBe(false);
    expect(guard.admitsFromMemory(requestTo('plain').context)).toBe(true);
    expect(guard.admitsFromMemory(requestTo('ownLimit').context)).toBe(false);
  });
});
