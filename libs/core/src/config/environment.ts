import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidateIf,
} from 'class-validator';

/** Development defaults. Production refuses to start while any of these is still in use. */
export const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-in-production';
export const DEV_ADMIN_PASSWORD = 'admin-dev-password';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

const toNumber = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const n = Number(value);
  return Number.isNaN(n) ? value : n;
};

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/**
 * Every environment variable the service reads, with defaults that work against the
 * PostgreSQL and Redis of docker-compose.yml (or the same services on localhost).
 */
export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/itn';

  /**
   * How many statements one process has PostgreSQL run at once. Beyond what the server's cores
   * can run, more connections add no throughput, only runnable backends that slow each other
   * (and a service on the same machine) down; requests wait more cheaply in the pool's queue.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 15_000;

  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * Where the shipment queue lives (initialised, so that it is a key of every compilation's
   * instance, which validateEnvironment reads). Unset, it is decided at start-up: Redis when REDIS_URL is
   * set or Redis answers on its default address, else BullMQ's PostgreSQL backend in the
   * service's database.
   */
  @IsOptional()
  @IsIn(['redis', 'postgres'])
  QUEUE_BACKEND?: 'redis' | 'postgres' = undefined;

  /**
   * Where rate-limit counters live. Unset, it is decided at start-up: Redis whenever the
   * service uses Redis, else this process's memory (right for one instance only).
   */
  @IsOptional()
  @IsIn(['redis', 'memory'])
  RATE_LIMIT_STORE?: 'redis' | 'memory' = undefined;

  /** Data directory of the embedded PostgreSQL (development, when no DATABASE_URL is set and none answers). */
  @IsString()
  EMBEDDED_POSTGRES_DIR = '.data/postgres';

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** Port of the process's own /metrics (and /health/live) server: 0 for any free port, `off` for none. */
  @Transform(toNumber)
  @ValidateIf((e: Environment) => e.METRICS_PORT !== 'off')
  @IsInt({ message: 'METRICS_PORT must be a port number, 0 or off' })
  @Min(0)
  @Max(65535)
  METRICS_PORT: number | 'off' = 9464;

  /** Address the metrics server binds: loopback unless a scraper elsewhere must reach it. */
  @IsString()
  METRICS_HOST = '127.0.0.1';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET = DEV_JWT_SECRET;

  @Transform(toNumber)
  @IsInt()
  @Min(10)
  @Max(86_400)
  JWT_ACCESS_TTL = 900;

  @Transform(toNumber)
  @IsInt()
  @Min(60)
  @Max(90 * 86_400)
  JWT_REFRESH_TTL = 14 * 86_400;

  @IsString()
  JWT_ISSUER = 'itn-api';

  @IsString()
  JWT_AUDIENCE = 'itn-clients';

  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(1e9)
  SIM_TIME_SCALE = 20_000;

  /** Ship speed in simulated kilometres per second. */
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Max(299_792)
  SHIP_SPEED_KM_S = 1_000;

  /** Simulated seconds between a shipment's creation and its departure. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(30 * 86_400)
  LOADING_TIME_SECONDS = 7_200;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY = 16;

  /** How long a worker holds a job before another may take it over after a crash. */
  @Transform(toNumber)
  @IsInt()
  @Min(500)
  @Max(600_000)
  QUEUE_LOCK_DURATION_MS = 30_000;

  /** How often the sweep re-enqueues shipments whose next step is overdue. */
  @Transform(toNumber)
  @IsInt()
  @Min(200)
  @Max(3_600_000)
  SWEEP_INTERVAL_MS = 10_000;

  /** The relay's safety-net poll; it is woken by LISTEN/NOTIFY as events commit. */
  @Transform(toNumber)
  @IsInt()
  @Min(50)
  @Max(60_000)
  RELAY_POLL_MS = 1_000;

  /**
   * Each instance's follower of the event log (live updates) starts a read at most this often
   * while notifications keep coming: under load one read takes the events of many transactions
   * instead of one each. 0 reads on every notification.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(1_000)
  LOG_READ_INTERVAL_MS = 10;

  /**
   * The same for the shipment relay. Its rounds each commit a cursor update; shipment steps are
   * due seconds to hours after the event that schedules them, so it reads less often than the
   * followers, which serve live updates.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(10_000)
  RELAY_READ_INTERVAL_MS = 100;

  @IsIn(['embedded', 'off'])
  WORKER_MODE: 'embedded' | 'off' = 'embedded';

  /**
   * `on` registers the measured shortcuts of @itn/fast-path (cached reads answered ahead of the
   * router, batched socket writes, remembered route metadata); `off` runs the plain framework
   * path only, with the same answers.
   */
  @IsIn(['on', 'off'])
  FAST_PATHS: 'on' | 'off' = 'on';

  @Transform(toBoolean)
  @IsBoolean()
  SEED_DEMO = true;

  @IsEmail()
  ADMIN_EMAIL = 'admin@itn.local';

  @IsString()
  @MinLength(10, { message: 'ADMIN_PASSWORD must be at least 10 characters' })
  ADMIN_PASSWORD = DEV_ADMIN_PASSWORD;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1e9)
  MAX_SHIPMENT_VOLUME = 5_000;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(3650)
  EVENT_RETENTION_DAYS = 30;

  /** Socket.IO connections one user may hold open on one instance at once. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(10_000)
  SOCKET_MAX_PER_USER = 20;

  /**
   * Socket.IO sessions (engine.io handshakes, signed in or not yet) one address may hold open on
   * one instance at once; each handshake also counts in the address's rate limit. Behind a proxy
   * every client has the proxy's address: raise it to the sockets an instance should hold.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SOCKET_MAX_PER_ADDRESS = 1_000;

  /** Stations one socket may be subscribed to at once. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(10_000)
  SOCKET_MAX_SUBSCRIPTIONS = 100;

  /**
   * Messages (subscribe, unsubscribe) one socket may send: a burst of this many, refilled at
   * SOCKET_MESSAGES_PER_SECOND. Past it a message is refused (RATE_LIMITED); a socket that
   * keeps sending past it is disconnected.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SOCKET_MESSAGE_BURST = 30;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SOCKET_MESSAGES_PER_SECOND = 5;

  /**
   * Most events a subscription or an SSE stream may replay from `after` / Last-Event-ID; a
   * client further behind (or behind the retention window) is told to page through polling.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  REPLAY_MAX_EVENTS = 10_000;

  @Transform(toList)
  @IsString({ each: true })
  CORS_ORIGINS: string[] = ['http://localhost:3000'];

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_TTL_SECONDS = 60;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_MAX = 600;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_RATE_LIMIT_MAX = 10;

  @Transform(toNumber)
  @IsInt()
  @Min(10)
  @Max(10_000)
  RATE_LIMIT_SYNC_MS = 100;

  @Transform(toNumber)
  @IsInt()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES = 256 * 1024;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Validates raw environment variables. Throws a ConfigurationError naming every bad variable.
 * Unknown variables are ignored; empty strings count as unset so defaults apply.
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const known = Object.keys(new Environment());
  const input: Record<string, unknown> = {};
  for (const key of known) {
    const value = raw[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  // Demo data is for development: production seeds only when asked to.
  if (input.SEED_DEMO === undefined && input.NODE_ENV === 'production') input.SEED_DEMO = 'false';
  const env = plainToInstance(Environment, input, { exposeDefaultValues: true });
  const problems = validateSync(env, { forbidUnknownValues: false }).map(
    (e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')} (got ${JSON.stringify(e.value)})`,
  );
  if (env.NODE_ENV === 'production') {
    if (env.JWT_SECRET === DEV_JWT_SECRET)
      problems.push('JWT_SECRET: the development default is refused in production');
    if (env.ADMIN_PASSWORD === DEV_ADMIN_PASSWORD)
      problems.push('ADMIN_PASSWORD: the development default is refused in production');
    if (input.DATABASE_URL === undefined)
      problems.push('DATABASE_URL: required in production (the embedded PostgreSQL is for development)');
    if (input.REDIS_URL === undefined && env.QUEUE_BACKEND !== 'postgres')
      problems.push('REDIS_URL: required in production, unless QUEUE_BACKEND=postgres');
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return env;
}

/** Whether the service talks to Redis at all: for its queue, its rate limits, or both. */
export function usesRedis(env: Pick<Environment, 'QUEUE_BACKEND' | 'RATE_LIMIT_STORE'>): boolean {
  return env.QUEUE_BACKEND !== 'postgres' || env.RATE_LIMIT_STORE !== 'memory';
}

/** For a process entry point: the validated environment, or the reasons on stderr and exit 1. */
export function environmentOrExit(): Environment {
  try {
    return validateEnvironment(process.env);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
