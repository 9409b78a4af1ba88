import Redis from 'ioredis';
import { RedisThrottlerStorage } from '../libs/core/src/http/redis-throttler.storage';
import { describeWithRedis } from './helpers/test-env';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const MINUTE = 60_000;

/** Two API instances are two storages sharing one Redis. */
describeWithRedis('Rate-limit storage on real Redis (e2e)', () => {
  let redis: Redis;
  const storages: RedisThrottlerStorage[] = [];
  let prefix: string;

  function storage(client: Redis = redis): RedisThrottlerStorage {
    // A long interval: the tests decide when a sync happens.
    const s = new RedisThrottlerStorage(client, { exactThrottlers: ['auth'], syncIntervalMs: 10_000, prefix });
    storages.push(s);
    return s;
  }

  async function hit(s: RedisThrottlerStorage, times: number, limit = 10, ttl = MINUTE) {
    const records = [];
    for (let i = 0; i < times; i++) records.push(await s.increment('user:1', ttl, limit, ttl, 'default'));
    return records;
  }

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    prefix = `itn:test-throttle:${Date.now()}:${Math.random()}`;
  });
  afterEach(() => storages.splice(0).forEach((s) => s.onApplicationShutdown()));
  afterAll(() => redis.quit());

  it('enforces an instance’s own hits exactly, before any sync', async () => {
    const records = await hit(storage(), 12);
    expect(records.map((r) => r.isBlocked)).toEqual([...Array(10).fill(false), true, true]);
    expect(records[9].totalHits).toBe(10);
    expect(records[10].timeToBlockExpire).toBe(60);
    expect(records[0].timeToExpire).toBeGreaterThan(58);
  });

  it('tells without counting whether a hit would pass in memory (for decisions without a promise)', async () => {
    const s = storage();
    expect(s.admitsNow('user:1', 3, 'default')).toBe(true);
    expect(s.admitsNow('user:1', 3, 'default')).toBe(true); // asking counts nothing
    const counted = [1, 2, 3].map(() => s.incrementNow('user:1', MINUTE, 3, MINUTE, 'default'));
    expect(counted.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(s.admitsNow('user:1', 3, 'default')).toBe(false); // full
    expect((await s.increment('user:1', MINUTE, 3, MINUTE, 'default')).isBlocked).toBe(true);
    expect(s.admitsNow('user:1', 100, 'default')).toBe(false); // blocked
    // The same budget, whichever way it was counted.
    await s.sync();
    expect(await redis.get(`${prefix}:default:user:1:hits`)).toBe('4');
    // Exact budgets are counted in Redis: never admitted from memory, never counted there.
    expect(s.admitsNow('ip:1', 3, 'auth')).toBe(false);
    expect(() => s.incrementNow('ip:1', MINUTE, 3, MINUTE, 'auth')).toThrow(/counted in Redis/);
  });

  it('adds an instance’s hits to Redis in one sync, where another instance sees them', async () => {
    const a = storage();
    const b = storage();
    await hit(a, 6);
    await a.sync();
    expect(await redis.get(`${prefix}:default:user:1:hits`)).toBe('6');
    expect(await redis.pttl(`${prefix}:default:user:1:hits`)).toBeGreaterThan(MINUTE - 5_000);

    // b has not synced yet: it only knows its own hit; after its sync it knows all seven.
    expect((await hit(b, 1))[0].totalHits).toBe(1);
    await b.sync();
    const [eighth, ninth, tenth, eleventh] = await hit(b, 4);
    expect([eighth.totalHits, ninth.totalHits, tenth.totalHits]).toEqual([8, 9, 10]);
    expect(eleventh.isBlocked).toBe(true);
  });

  it('spreads a block set by one instance to the others at their next sync', async () => {
    const a = storage();
    const b = storage();
    await hit(a, 11);
    await a.sync();
    expect(await redis.pttl(`${prefix}:default:user:1:block`)).toBeGreaterThan(0);
    // b admits what it counts itself until it syncs, then refuses.
    expect((await hit(b, 1))[0].isBlocked).toBe(false);
    await b.sync();
    const [after] = await hit(b, 1);
    expect(after.isBlocked).toBe(true);
    expect(after.timeToBlockExpire).toBeGreaterThan(55);
  });

  it('counts exact budgets in Redis on every hit', async () => {
    const a = storage();
    const b = storage();
    for (let i = 0; i < 3; i++) await a.increment('ip:1', MINUTE, 4, MINUTE, 'auth');
    const fourth = await b.increment('ip:1', MINUTE, 4, MINUTE, 'auth');
    expect(fourth).toMatchObject({ totalHits: 4, isBlocked: false });
    const fifth = await a.increment('ip:1', MINUTE, 4, MINUTE, 'auth');
    expect(fifth.isBlocked).toBe(true);
    expect((await b.increment('ip:1', MINUTE, 4, MINUTE, 'auth')).isBlocked).toBe(true);
  });

  it('starts a new window when the old one is over', async () => {
    const s = storage();
    const first = await hit(s, 3, 2, 300);
    expect(first.map((r) => r.isBlocked)).toEqual([false, false, true]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const next = await hit(s, 1, 2, 300);
    expect(next[0]).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps enforcing per instance while Redis is unreachable, and lets exact budgets through', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const s = storage(down);
    const records = await hit(s, 11);
    expect(records[10].isBlocked).toBe(true);
    await expect(s.sync()).resolves.toBeUndefined();
    // The hits wait for the next sync; the budget is still enforced meanwhile.
    expect((await hit(s, 1))[0].isBlocked).toBe(true);
    const exact = await s.increment('ip:1', MINUTE, 1, MINUTE, 'auth');
    expect(exact.isBlocked).toBe(false);
    down.disconnect();
  });

  it('counts new callers in Redis on every hit once it keeps its most budgets in memory', async () => {
    const s = new RedisThrottlerStorage(redis, {
      exactThrottlers: [],
      syncIntervalMs: 10_000,
      maxLocalBudgets: 2,
      prefix,
    });
    storages.push(s);
    await s.increment('ip:1', MINUTE, 10, MINUTE, 'default');
    await s.increment('ip:2', MINUTE, 10, MINUTE, 'default');
    const third = await s.increment('ip:3', MINUTE, 10, MINUTE, 'default');
    expect(third).toMatchObject({ totalHits: 1, isBlocked: false });
    // In Redis at once, without a sync; the first two wait for theirs.
    expect(await redis.get(`${prefix}:default:ip:3:hits`)).toBe('1');
    expect(await redis.get(`${prefix}:default:ip:1:hits`)).toBeNull();
    // A caller already in memory stays there.
    await s.increment('ip:1', MINUTE, 10, MINUTE, 'default');
    expect(await redis.get(`${prefix}:default:ip:1:hits`)).toBeNull();
    await s.sync();
    expect(await redis.get(`${prefix}:default:ip:1:hits`)).toBe('2');
  });

  it('sends hits counted while Redis was away once it answers again', async () => {
    const flaky = new Redis(REDIS_URL, { enableOfflineQueue: false, lazyConnect: true });
    const s = storage(flaky);
    await hit(s, 4);
    await s.sync(); // refused at once while the connection is being made; the hits are kept
    expect(await redis.get(`${prefix}:default:user:1:hits`)).toBeNull();
    if (flaky.status !== 'ready') await new Promise((resolve) => flaky.once('ready', resolve));
    await hit(s, 1);
    await s.sync();
    expect(await redis.get(`${prefix}:default:user:1:hits`)).toBe('5');
    await flaky.quit();
  });
});
