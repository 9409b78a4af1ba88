import {
  ConfigurationError,
  resolveRuntimeServices,
  type ResolvedRuntime,
  ServiceUnavailableError,
  tcpAnswers,
} from '@itn/core';
import { SHIPMENTS_QUEUE, ShipmentJob, shipmentJobId } from '@itn/cargo';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import request from 'supertest';
import { freePort } from './helpers/api-process';
import { createActor } from './helpers/auth';
import { waitFor } from './helpers/invariants';
import { createTestApp, TestApp } from './helpers/test-app';
import { describeWithRedis } from './helpers/test-env';
import { buildWorld } from './helpers/world';

const silent = () => undefined;

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A data directory the unprivileged server user can reach (mkdtemp makes its folder 0700). */
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'itn-embedded-'));
  chmodSync(dir, 0o755);
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Start-up services: the embedded default (e2e)', () => {
  let deadUrls: { DATABASE_URL: string; REDIS_URL: string };
  let scratch: string;
  const started: ResolvedRuntime[] = [];

  beforeAll(async () => {
    deadUrls = {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/itn_embedded`,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    };
    scratch = scratchDir();
  });
  afterAll(async () => {
    await Promise.all(started.map((r) => r.stop()));
    rmSync(scratch, { recursive: true, force: true });
  });

  const resolve = async (raw: Record<string, string>, embedded = true) => {
    const runtime = await resolveRuntimeServices(
      { EMBEDDED_POSTGRES_DIR: join(scratch, 'postgres'), ...raw },
      { embedded, log: silent, defaults: deadUrls },
    );
    started.push(runtime);
    return runtime;
  };

  it('refuses an explicit DATABASE_URL or REDIS_URL that does not answer: no silent fallback', async () => {
    await expect(resolve({ DATABASE_URL: deadUrls.DATABASE_URL })).rejects.toThrow(ServiceUnavailableError);
    await expect(resolve({ DATABASE_URL: deadUrls.DATABASE_URL })).rejects.toThrow(/DATABASE_URL is set to .* nothing/);
    await expect(resolve({ REDIS_URL: deadUrls.REDIS_URL })).rejects.toThrow(/REDIS_URL is set to .* does not answer/);
    await expect(resolve({ QUEUE_BACKEND: 'redis' })).rejects.toThrow(/QUEUE_BACKEND=redis, but Redis does not answer/);
    await expect(resolve({ RATE_LIMIT_STORE: 'redis' })).rejects.toThrow(/RATE_LIMIT_STORE=redis/);
    // None of these started a server.
    expect(existsSync(join(scratch, 'postgres', 'PG_VERSION'))).toBe(false);
  });

  it('never starts an embedded PostgreSQL in production, nor in a process that may not', async () => {
    await expect(
      resolve({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), ADMIN_PASSWORD: 'a-real-password' }),
    ).rejects.toThrow(ConfigurationError);
    await expect(resolve({}, false)).rejects.toThrow(/does not start an embedded PostgreSQL/);
    expect(existsSync(join(scratch, 'postgres', 'PG_VERSION'))).toBe(false);
  });

  it('with nothing answering, runs an embedded PostgreSQL whose data outlives a restart, and the queue on it', async () => {
    const first = await resolve({});
    expect(first.services).toMatchObject({
      database: { kind: 'embedded', dataDir: join(scratch, 'postgres') },
      queueBackend: 'postgres',
      rateLimitStore: 'memory',
    });
    expect(first.services.redisUrl).toBeUndefined();
    const url = first.services.database.url;
    expect(new URL(url).pathname).toBe('/itn_embedded');
    const [{ version }] = await query<{ version: string }>(url, `SELECT current_setting('server_version') AS version`);
    expect(version).toMatch(/^\d+\.\d+/);
    await query(url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    const pid = Number(readFileSync(join(scratch, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    // PostgreSQL refuses root: started by root, it runs as an unprivileged user, who owns its data.
    if (userInfo().uid === 0) {
      expect(execFileSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).trim()).not.toBe('root');
      expect(statSync(join(scratch, 'postgres')).uid).not.toBe(0);
    }

    await first.stop();
    expect(processAlive(pid)).toBe(false);
    expect(await tcpAnswers(url, 5432)).toBe(false);

    const second = await resolve({});
    expect(second.services.database.kind).toBe('embedded');
    expect(await query(second.services.database.url, 'SELECT n FROM kept')).toEqual([{ n: 42 }]);
    await second.stop();
  });

  it('stops the embedded server when the process that started it is killed (SIGKILL)', async () => {
    const dataDir = join(scratch, 'postgres');
    const script = `
      const { startEmbeddedPostgres } = require(${JSON.stringify(
        join(__dirname, '..', 'dist', 'libs', 'core', 'src', 'runtime', 'embedded-postgres.js'),
      )});
      startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, database: 'itn_embedded' })
        .then((s) => console.log(JSON.stringify({ url: s.url })));
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((done) => createInterface({ input: child.stdout }).once('line', done));
    const { url } = JSON.parse(line) as { url: string };
    expect(await query(url, 'SELECT n FROM kept')).toEqual([{ n: 42 }]);
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

    child.kill('SIGKILL');
    await waitFor(
      async () => processAlive(pid) || existsSync(join(dataDir, 'postmaster.pid')),
      (running) => !running,
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(await tcpAnswers(url, 5432)).toBe(false);
  });

  it('lets a process that awaits stop() live until the server is down', async () => {
    const dataDir = join(scratch, 'postgres');
    const script = `
      const { startEmbeddedPostgres } = require(${JSON.stringify(
        join(__dirname, '..', 'dist', 'libs', 'core', 'src', 'runtime', 'embedded-postgres.js'),
      )});
      startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, database: 'itn_embedded' })
        .then((s) => s.stop())
        .then(() => console.log('stopped'));`;
    const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(output.trim()).toBe('stopped');
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  if (userInfo().uid === 0) {
    it('started by root inside a private folder, lets the server user through it', async () => {
      const hidden = mkdtempSync(join(tmpdir(), 'itn-private-')); // mode 0700, as /root is
      try {
        const runtime = await resolve({ EMBEDDED_POSTGRES_DIR: join(hidden, 'data', 'postgres') });
        expect(await query(runtime.services.database.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
        expect(statSync(hidden).mode & 0o777).toBe(0o701);
        await runtime.stop();
      } finally {
        rmSync(hidden, { recursive: true, force: true });
      }
    });
  }

  describeWithRedis('with Redis on the default address', () => {
    it('keeps the queue and the rate limits on Redis, unless QUEUE_BACKEND says otherwise', async () => {
      const redisUrl = process.env.REDIS_URL!;
      const database = process.env.DATABASE_URL!;
      const runtime = await resolveRuntimeServices(
        { DATABASE_URL: database },
        { embedded: false, log: silent, defaults: { REDIS_URL: redisUrl } },
      );
      expect(runtime.services).toMatchObject({ queueBackend: 'redis', rateLimitStore: 'redis', redisUrl });
      const overridden = await resolveRuntimeServices(
        { DATABASE_URL: database, QUEUE_BACKEND: 'postgres' },
        { embedded: false, log: silent, defaults: { REDIS_URL: redisUrl } },
      );
      expect(overridden.services).toMatchObject({ queueBackend: 'postgres', rateLimitStore: 'redis', redisUrl });
    });
  });
});

describe('The service without Redis: queue on PostgreSQL, rate limits in memory (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_BACKEND: 'postgres', RATE_LIMIT_STORE: 'memory', RATE_LIMIT_MAX: '25' });
  });
  afterAll(() => t.close());

  it('says in /health/ready which services it runs on, and checks no Redis', async () => {
    const ready = await request(t.url).get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({
      postgres: { status: 'up' },
      services: { status: 'up', database: 'postgres', queue: 'postgres', rateLimits: 'memory' },
    });
    expect(ready.body.info.redis).toBeUndefined();
  });

  it('enforces the general budget from memory', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await request(t.url).get('/api/planets')).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const refused = await request(t.url).get('/api/planets').expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('shows the shipment queue on PostgreSQL in Bull Board', async () => {
    // A new window for the admin's own budget.
    await t.close();
    t = await createTestApp({ QUEUE_BACKEND: 'postgres', RATE_LIMIT_STORE: 'memory' });
    const admin = await createActor(t, 'admin');
    const w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE'] });
    await admin
      .post(`/api/inventory/${w.stations.A}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 10, reason: 'stock' })
      .expect(201);
    const shipment = await admin
      .post('/api/cargo')
      .send({
        originStationId: w.stations.A,
        destinationStationId: w.stations.B,
        items: [{ commodityId: w.commodities.ORE, quantity: 1 }],
      })
      .expect(201);
    await waitFor(
      async () => (await admin.get(`/api/cargo/${shipment.body.shipmentId}`).expect(200)).body.status as string,
      (status) => status === 'delivered',
    );
    const board = await admin.get('/admin/queues/api/queues?activeQueue=shipments&status=completed').expect(200);
    const queues = board.body.queues as { name: string; counts: Record<string, number>; jobs: { id: string }[] }[];
    const shipments = queues.find((q) => q.name === SHIPMENTS_QUEUE);
    expect(shipments?.counts.completed).toBeGreaterThan(0);
    expect(shipments?.jobs.map((j) => j.id)).toContain(shipmentJobId(ShipmentJob.Arrive, shipment.body.shipmentId));
  });
});
