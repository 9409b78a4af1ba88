import { REDIS } from '@itn/core';
import { InventoryReadShortcut } from '@itn/fast-path';
import { RedisThrottlerStorage } from '../libs/core/src/http/redis-throttler.storage';
import { getStorageToken } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AddressClient } from './helpers/address-client';
import { Actor, createActor } from './helpers/auth';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';
import { describeWithRedis } from './helpers/test-env';

/**
 * Where the service's rate-limit hits go, against its real Redis: the general budget is
 * counted in memory, one key per caller whichever route or path answered, and reaches Redis
 * only with a sync; the auth budget is counted in Redis on every attempt. The same with
 * FAST_PATHS on (cached reads answered without the router) and off.
 */
describeWithRedis('Rate limits counted in memory (e2e)', () => {
  describe.each(['on', 'off'] as const)('FAST_PATHS=%s', (fastPaths) => {
    let t: TestApp;
    let redis: Redis & { itnThrottle: (...args: unknown[]) => Promise<unknown> };
    let storage: RedisThrottlerStorage;
    let admin: Actor;
    let w: World;
    const guesser = () => new AddressClient(t.url);
    /**
     * Spies on the script that counts one hit in Redis, for the calls made on the client (with
     * auto-pipelining, the client's call makes one more on a pipeline).
     */
    const perHitScript = () => {
      const spy = jest.spyOn(redis, 'itnThrottle');
      return { calls: () => spy.mock.contexts.filter((context) => context === redis).length };
    };

    beforeAll(async () => {
      // Syncs only when a test asks for one.
      t = await createTestApp({ RATE_LIMIT_SYNC_MS: '10000', FAST_PATHS: fastPaths });
      await truncateAll(t.dataSource);
      redis = t.app.get(REDIS);
      const s = t.app.get<unknown>(getStorageToken(), { strict: false });
      if (!(s instanceof RedisThrottlerStorage)) throw new Error('the app counts its limits elsewhere');
      storage = s;
      admin = await createActor(t, 'admin');
      w = await buildWorld(admin, { stations: ['A'], commodities: ['ORE'] });
    });
    afterAll(() => t.close());
    afterEach(() => jest.restoreAllMocks());

    it('counts a caller’s requests to any route in memory, once each, and adds them to one Redis key per sync', async () => {
      const trader = await createActor(t, 'trader', [w.stations.A]);
      const path = `/api/inventory/${w.stations.A}`;
      await storage.sync();
      const perHit = perHitScript();
      const shortcut = fastPaths === 'on' ? jest.spyOn(t.app.get(InventoryReadShortcut), 'answer') : undefined;
      const requests = [
        () => trader.get(path).expect(200),
        () => trader.get(path).expect(200), // cached: answered without the router when FAST_PATHS is on
        () => trader.get('/api/auth/me').expect(200),
        () => trader.get('/api/nowhere').expect(404),
        () => trader.get(`/api/inventory/${randomUUID()}`).expect(403),
      ];
      for (const send of requests) await send();
      expect(perHit.calls()).toBe(0);
      if (shortcut) expect(shortcut.mock.results.some((r) => r.value === true)).toBe(true);

      const key = `itn:throttle:default:user:${trader.id}:hits`;
      expect(await redis.get(key)).toBeNull();
      await storage.sync();
      expect(await redis.get(key)).toBe(String(requests.length));
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    });

    it('counts every attempt on login, register and refresh in Redis at once, per address', async () => {
      const client = guesser();
      const perHit = perHitScript();
      await client.post('/api/auth/login', { json: { email: 'nobody@test.local', password: 'wrong-password' } });
      await client.post('/api/auth/refresh', { json: { refreshToken: 'not-a-refresh-token' } });
      expect(perHit.calls()).toBe(2);
      expect(await redis.get(`itn:throttle:auth:ip:${client.address}:hits`)).toBe('2');
      client.close();
    });
  });
});
