import { Socket } from 'node:net';
import Redis from 'ioredis';
import { Environment, validateEnvironment } from '../config/environment';
import { startEmbeddedPostgres } from './embedded-postgres';

/**
 * The one place that decides which PostgreSQL, queue backend and rate-limit store a process
 * uses, once, at start-up, before the application is created:
 *
 * - DATABASE_URL set: that server, which must answer. Unset: PostgreSQL on the default address
 *   if it answers, else (development and tests only) an embedded server of our own.
 * - REDIS_URL set: that Redis, which must answer. Unset: Redis on the default address if it
 *   answers, else none: the queue runs on BullMQ's PostgreSQL backend in the same database and
 *   rate limits are counted in memory. QUEUE_BACKEND and RATE_LIMIT_STORE override the choice.
 *
 * Nothing that was asked for explicitly is replaced by something else: a configured service
 * that does not answer stops the process with a message saying so.
 */

export interface RuntimeServices {
  database: { url: string; kind: 'configured' | 'local' | 'embedded'; dataDir?: string };
  queueBackend: 'redis' | 'postgres';
  rateLimitStore: 'redis' | 'memory';
  /** The Redis in use, if any. */
  redisUrl?: string;
}

export interface ResolvedRuntime {
  services: RuntimeServices;
  /** Stops what this process started (the embedded PostgreSQL); a no-op otherwise. */
  stop(): Promise<void>;
}

/** A configured service does not answer, or the choice asked for cannot be met. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

const PROBE_TIMEOUT_MS = 1_000;

/** The decision of this process, for /health/ready. */
let current: RuntimeServices | undefined;

/** A URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Whether something accepts TCP connections on the URL's host and port. */
export function tcpAnswers(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  if (!u.hostname) return Promise.resolve(true); // a Unix socket: let the driver tell
  return new Promise((done) => {
    const socket = new Socket();
    const finish = (answered: boolean) => {
      socket.destroy();
      done(answered);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.connect(Number(u.port || defaultPort), u.hostname.replace(/^\[|\]$/g, ''), () => finish(true));
  });
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The services as the configuration says, without probing (test apps, the CLI). */
type ServiceSettings = Pick<Environment, 'DATABASE_URL' | 'REDIS_URL' | 'QUEUE_BACKEND' | 'RATE_LIMIT_STORE'>;

export function servicesOf(env: ServiceSettings): RuntimeServices {
  const queueBackend = env.QUEUE_BACKEND ?? 'redis';
  const rateLimitStore = env.RATE_LIMIT_STORE ?? 'redis';
  const usesRedis = queueBackend === 'redis' || rateLimitStore === 'redis';
  return {
    database: { url: env.DATABASE_URL, kind: 'configured' },
    queueBackend,
    rateLimitStore,
    ...(usesRedis ? { redisUrl: env.REDIS_URL } : {}),
  };
}

/**
 * What this process runs on: the configuration, which the start-up decision was handed to,
 * and whether its database is the embedded server that this process started.
 */
export function runtimeServices(env: ServiceSettings): RuntimeServices {
  const services = servicesOf(env);
  const embedded = current?.database.kind === 'embedded' && current.database.url === env.DATABASE_URL;
  return embedded ? { ...services, database: current!.database } : services;
}

/** One line for the start-up log. */
export function describeServices(services: RuntimeServices): string {
  const db = new URL(services.database.url);
  const database =
    services.database.kind === 'embedded'
      ? `embedded PostgreSQL on ${db.host} (data in ${services.database.dataDir})`
      : `PostgreSQL on ${db.host}${db.pathname}`;
  const redis = services.redisUrl ? ` (Redis ${new URL(services.redisUrl).host})` : '';
  return `database: ${database}; queue: ${services.queueBackend}${
    services.queueBackend === 'redis' ? redis : ' (BullMQ PostgreSQL backend)'
  }; rate limits: ${services.rateLimitStore}${services.rateLimitStore === 'redis' ? redis : ' (this process only)'}`;
}

async function resolveDatabase(
  raw: NodeJS.ProcessEnv,
  env: Environment,
  options: ResolveOptions,
): Promise<{ database: RuntimeServices['database']; stop: () => Promise<void> }> {
  const none = async () => undefined;
  if (raw.DATABASE_URL) {
    if (!(await tcpAnswers(env.DATABASE_URL, 5432))) {
      throw new ServiceUnavailableError(
        `DATABASE_URL is set to ${redactUrl(env.DATABASE_URL)}, but nothing answers there. Start that PostgreSQL, ` +
          'or unset DATABASE_URL to use a local or embedded one (development).',
      );
    }
    return { database: { url: env.DATABASE_URL, kind: 'configured' }, stop: none };
  }
  if (await tcpAnswers(env.DATABASE_URL, 5432)) {
    return { database: { url: env.DATABASE_URL, kind: 'local' }, stop: none };
  }
  if (!options.embedded) {
    throw new ServiceUnavailableError(
      `Nothing answers on ${redactUrl(env.DATABASE_URL)} and DATABASE_URL is not set. This process does not start ` +
        'an embedded PostgreSQL: point DATABASE_URL at the database of the API.',
    );
  }
  const started = Date.now();
  const server = await startEmbeddedPostgres({
    dataDir: env.EMBEDDED_POSTGRES_DIR,
    database: decodeURIComponent(new URL(env.DATABASE_URL).pathname.slice(1)) || 'itn',
    log: options.log,
  });
  options.log(
    `Nothing answers on ${new URL(env.DATABASE_URL).host}: started an embedded PostgreSQL on port ${server.port} ` +
      `in ${Date.now() - started} ms${server.initialised ? ' (new cluster)' : ''}`,
  );
  return { database: { url: server.url, kind: 'embedded', dataDir: server.dataDir }, stop: () => server.stop() };
}

async function resolveQueueAndLimits(
  raw: NodeJS.ProcessEnv,
  env: Environment,
): Promise<Pick<RuntimeServices, 'queueBackend' | 'rateLimitStore' | 'redisUrl'>> {
  let redisUrl: string | undefined;
  if (raw.REDIS_URL) {
    if (!(await redisAnswers(env.REDIS_URL))) {
      throw new ServiceUnavailableError(
        `REDIS_URL is set to ${redactUrl(env.REDIS_URL)}, but Redis does not answer there. Start that Redis, ` +
          'or unset REDIS_URL to run the queue on PostgreSQL.',
      );
    }
    redisUrl = env.REDIS_URL;
  } else if (await redisAnswers(env.REDIS_URL)) {
    redisUrl = env.REDIS_URL;
  }
  const queueBackend = env.QUEUE_BACKEND ?? (redisUrl ? 'redis' : 'postgres');
  const rateLimitStore = env.RATE_LIMIT_STORE ?? (redisUrl ? 'redis' : 'memory');
  for (const [variable, value] of [
    ['QUEUE_BACKEND', queueBackend],
    ['RATE_LIMIT_STORE', rateLimitStore],
  ] as const) {
    if (value === 'redis' && !redisUrl) {
      throw new ServiceUnavailableError(
        `${variable}=redis, but Redis does not answer on ${redactUrl(env.REDIS_URL)}. Start Redis or set REDIS_URL.`,
      );
    }
  }
  const usesRedis = queueBackend === 'redis' || rateLimitStore === 'redis';
  return { queueBackend, rateLimitStore, ...(usesRedis ? { redisUrl } : {}) };
}

/**
 * Decides the services from the raw environment, starts the embedded PostgreSQL when that is
 * the decision (only with `embedded: true`), and hands the decision to the configuration
 * through DATABASE_URL, QUEUE_BACKEND and RATE_LIMIT_STORE of `raw`.
 */
export interface ResolveOptions {
  /** Whether this process may start an embedded PostgreSQL (the API may; the worker-only process may not). */
  embedded: boolean;
  log: (line: string) => void;
  /** Other default addresses than the configuration's (tests that need nothing to answer there). */
  defaults?: { DATABASE_URL?: string; REDIS_URL?: string };
}

export async function resolveRuntimeServices(
  raw: NodeJS.ProcessEnv,
  options: ResolveOptions,
): Promise<ResolvedRuntime> {
  const env = validateEnvironment(raw);
  if (!raw.DATABASE_URL && options.defaults?.DATABASE_URL) env.DATABASE_URL = options.defaults.DATABASE_URL;
  if (!raw.REDIS_URL && options.defaults?.REDIS_URL) env.REDIS_URL = options.defaults.REDIS_URL;
  const queue = await resolveQueueAndLimits(raw, env);
  const { database, stop } = await resolveDatabase(raw, env, options);
  const services: RuntimeServices = { database, ...queue };
  raw.DATABASE_URL = database.url;
  raw.QUEUE_BACKEND = services.queueBackend;
  raw.RATE_LIMIT_STORE = services.rateLimitStore;
  if (services.redisUrl) raw.REDIS_URL = services.redisUrl;
  current = services;
  return { services, stop };
}

/** For a process entry point: the decided services, or the reason on stderr and exit 1. */
export async function servicesOrExit(options: ResolveOptions): Promise<ResolvedRuntime> {
  try {
    return await resolveRuntimeServices(process.env, options);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
