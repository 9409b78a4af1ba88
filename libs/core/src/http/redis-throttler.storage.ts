import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** One round trip: count the hit, start the window on the first, block past the limit. */
const INCREMENT = `
local hits_key, block_key = KEYS[1], KEYS[2]
local ttl, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local blocked_for = redis.call('PTTL', block_key)
if blocked_for > 0 then
  return {limit + 1, math.max(redis.call('PTTL', hits_key), 0), 1, blocked_for}
end
local hits = redis.call('INCR', hits_key)
if hits == 1 then redis.call('PEXPIRE', hits_key, ttl) end
local left = redis.call('PTTL', hits_key)
if hits > limit then
  redis.call('SET', block_key, '1', 'PX', block)
  return {hits, left, 1, block}
end
return {hits, left, 0, 0}
`;

/**
 * Adds the hits an instance counted since its last sync, for many budgets at once, and
 * answers each budget's total, time left in its window and time left blocked.
 * KEYS: hits and block key per budget; ARGV: count, ttl, limit, block per budget.
 */
const SYNC = `
local out = {}
for i = 1, #KEYS / 2 do
  local hits_key, block_key = KEYS[2 * i - 1], KEYS[2 * i]
  local a = (i - 1) * 4
  local count, ttl = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local limit, block = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local hits = redis.call('INCRBY', hits_key, count)
  if redis.call('PTTL', hits_key) < 0 then redis.call('PEXPIRE', hits_key, ttl) end
  local blocked_for = redis.call('PTTL', block_key)
  if blocked_for <= 0 and hits > limit then
    redis.call('SET', block_key, '1', 'PX', block)
    blocked_for = block
  end
  out[i] = {hits, math.max(redis.call('PTTL', hits_key), 0), math.max(blocked_for, 0)}
end
return out
`;

/** Budgets per sync script call (each adds two keys and four arguments). */
const SYNC_CHUNK = 500;

type ThrottleRedis = Redis & {
  itnThrottle(hitsKey: string, blockKey: string, ttl: number, limit: number, block: number): Promise<unknown>;
  itnThrottleSync(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<[number, number, number][]>;
};

export interface RedisThrottlerStorageOptions {
  /** Throttlers whose every hit is counted in Redis before the request goes on. */
  exactThrottlers: readonly string[];
  /** How often the other throttlers' hits, counted in memory, are added to Redis. */
  syncIntervalMs: number;
  /**
   * Most budgets kept in memory (callers active in the current window). Past it, new callers'
   * hits are counted in Redis on every hit, as exact budgets are, so that many distinct callers
   * (addresses, say) cost Redis memory rather than this process's.
   */
  maxLocalBudgets?: number;
  prefix?: string;
}

/** One budget (throttler and caller) as this instance sees it. */
interface Budget {
  base: string;
  hitsKey: string;
  blockKey: string;
  ttl: number;
  limit: number;
  block: number;
  /** All instances' hits as of the last sync, plus this instance's since. */
  hits: number;
  /** This instance's hits not yet added to Redis. */
  unsent: number;
  resetAt: number;
  blockedUntil: number;
}

/**
 * Rate-limit counters in Redis, so limits hold across API instances.
 *
 * Budgets of the throttlers named in `exactThrottlers` (the strict login budget) cost one
 * Redis round trip per hit and are exact. The others are counted in memory and added to
 * Redis every `syncIntervalMs`, in one round trip for all of them: a request costs no round
 * trip, an instance enforces its own hits exactly, and the limit across instances can be
 * exceeded by what other instances admitted since the last sync. A block set by any instance
 * reaches the others at their next sync.
 *
 * When Redis is unreachable, exact budgets let requests through (rather than failing them)
 * and the others keep being enforced per instance.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly redis: ThrottleRedis;
  private readonly prefix: string;
  private readonly maxLocalBudgets: number;
  private readonly exact: ReadonlySet<string>;
  private readonly budgets = new Map<string, Budget>();
  private readonly unsynced = new Set<Budget>();
  private readonly timer: NodeJS.Timeout;
  private syncing: Promise<void> | undefined;
  private lastSweep = 0;
  private lastWarning = 0;

  constructor(redis: Redis, options: RedisThrottlerStorageOptions) {
    this.redis = redis as ThrottleRedis;
    this.prefix = options.prefix ?? 'itn:throttle';
    this.maxLocalBudgets = options.maxLocalBudgets ?? 100_000;
    this.exact = new Set(options.exactThrottlers);
    // Sent by their SHA (EVALSHA) after the first call instead of as whole scripts every time.
    if (!('itnThrottle' in redis)) redis.defineCommand('itnThrottle', { numberOfKeys: 2, lua: INCREMENT });
    if (!('itnThrottleSync' in redis)) redis.defineCommand('itnThrottleSync', { lua: SYNC });
    this.timer = setInterval(() => {
      if (!this.syncing) void this.sync();
    }, options.syncIntervalMs);
    this.timer.unref();
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = this.baseOf(key, throttlerName);
    const block = blockDuration > 0 ? blockDuration : ttl;
    if (!this.countsInMemory(base, throttlerName)) return this.incrementInRedis(base, ttl, limit, block);
    return Promise.resolve(this.incrementInMemory(base, ttl, limit, block));
  }

  /**
   * Whether one more hit of this budget would be counted in memory and let through, without
   * counting it: a caller that must decide without waiting checks every budget first, then
   * counts each with incrementNow.
   */
  admitsNow(key: string, limit: number, throttlerName: string): boolean {
    const base = this.baseOf(key, throttlerName);
    if (!this.countsInMemory(base, throttlerName)) return false;
    const budget = this.budgets.get(base);
    const now = Date.now();
    if (!budget || (now >= budget.resetAt && now >= budget.blockedUntil)) return limit >= 1;
    return budget.blockedUntil <= now && budget.hits < limit;
  }

  /** Counts a hit of a budget that admitsNow said is counted in memory, as increment would. */
  incrementNow(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ThrottlerStorageRecord {
    const base = this.baseOf(key, throttlerName);
    if (!this.countsInMemory(base, throttlerName)) throw new Error(`Budget ${base} is counted in Redis`);
    return this.incrementInMemory(base, ttl, limit, blockDuration > 0 ? blockDuration : ttl);
  }

  /** Adds every hit counted in memory to Redis now (also done every `syncIntervalMs`). */
  async sync(): Promise<void> {
    while (this.syncing) await this.syncing;
    this.sweep();
    if (this.unsynced.size === 0) return;
    this.syncing = this.send().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** Stops the periodic sync (Nest calls it on shutdown: the storage is a provider). */
  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private baseOf(key: string, throttlerName: string): string {
    return `${this.prefix}:${throttlerName}:${key}`;
  }

  private countsInMemory(base: string, throttlerName: string): boolean {
    if (this.exact.has(throttlerName)) return false;
    return this.budgets.size < this.maxLocalBudgets || this.budgets.has(base);
  }

  private async incrementInRedis(base: string, ttl: number, limit: number, block: number) {
    try {
      const [hits, leftMs, blocked, blockMs] = (await this.redis.itnThrottle(
        `${base}:hits`,
        `${base}:block`,
        ttl,
        limit,
        block,
      )) as [number, number, number, number];
      return record(hits, leftMs, blocked === 1, blockMs);
    } catch (e) {
      this.warnUnreachable(e, 'rate limiting of this budget is off');
      return record(0, 0, false, 0);
    }
  }

  private incrementInMemory(base: string, ttl: number, limit: number, block: number): ThrottlerStorageRecord {
    const now = Date.now();
    let budget = this.budgets.get(base);
    if (!budget || (now >= budget.resetAt && now >= budget.blockedUntil)) {
      budget = {
        base,
        hitsKey: `${base}:hits`,
        blockKey: `${base}:block`,
        ttl,
        limit,
        block,
        hits: 0,
        unsent: 0,
        resetAt: now + ttl,
        blockedUntil: 0,
      };
      this.budgets.set(base, budget);
    }
    if (budget.blockedUntil > now) {
      return record(budget.hits, budget.resetAt - now, true, budget.blockedUntil - now);
    }
    budget.hits += 1;
    budget.unsent += 1;
    this.unsynced.add(budget);
    if (budget.hits > limit) {
      budget.blockedUntil = now + block;
      return record(budget.hits, budget.resetAt - now, true, block);
    }
    return record(budget.hits, budget.resetAt - now, false, 0);
  }

  private async send(): Promise<void> {
    const batch = [...this.unsynced];
    this.unsynced.clear();
    const chunks: Budget[][] = [];
    for (let i = 0; i < batch.length; i += SYNC_CHUNK) chunks.push(batch.slice(i, i + SYNC_CHUNK));
    await Promise.all(chunks.map((chunk) => this.sendChunk(chunk)));
  }

  private async sendChunk(budgets: Budget[]): Promise<void> {
    const sent = budgets.map((budget) => budget.unsent);
    for (const budget of budgets) budget.unsent = 0;
    const keys = budgets.flatMap((b) => [b.hitsKey, b.blockKey]);
    const args = budgets.flatMap((b, i) => [sent[i], b.ttl, b.limit, b.block]);
    try {
      const answers = await this.redis.itnThrottleSync(keys.length, ...keys, ...args);
      const now = Date.now();
      budgets.forEach((budget, i) => {
        const [hits, leftMs, blockedMs] = answers[i];
        // Hits counted while the sync was on its way are still this instance's own.
        budget.hits = hits + budget.unsent;
        budget.resetAt = now + leftMs;
        if (blockedMs > 0) budget.blockedUntil = Math.max(budget.blockedUntil, now + blockedMs);
      });
    } catch (e) {
      this.warnUnreachable(e, 'limits are enforced per instance until it is back');
      // The hits still count, in the window they belong to, at the next sync.
      const now = Date.now();
      budgets.forEach((budget, i) => {
        if (budget.resetAt <= now || this.budgets.get(budget.base) !== budget) return;
        budget.unsent += sent[i];
        this.unsynced.add(budget);
      });
    }
  }

  /** Forgets budgets whose window and block are both over (at most once a second). */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [base, budget] of this.budgets) {
      if (now >= budget.resetAt && now >= budget.blockedUntil && !this.unsynced.has(budget)) {
        this.budgets.delete(base);
      }
    }
  }

  private warnUnreachable(e: unknown, consequence: string): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`Redis is unreachable (${(e as Error).message}); ${consequence}`);
  }
}

function record(hits: number, leftMs: number, blocked: boolean, blockMs: number): ThrottlerStorageRecord {
  return {
    totalHits: hits,
    timeToExpire: Math.ceil(Math.max(leftMs, 0) / 1000),
    isBlocked: blocked,
    timeToBlockExpire: Math.ceil(Math.max(blockMs, 0) / 1000),
  };
}
