import { ChildProcess, spawn } from 'node:child_process';
import request from 'supertest';
import { freePort } from './helpers/api-process';
import { Actor, createActor } from './helpers/auth';
import { expectBooksBalanced, waitFor } from './helpers/invariants';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';
import { describeWithRedis } from './helpers/test-env';

/** A throwaway Redis of this test's own, so stopping it disturbs nothing else. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      probe.stdout.on('data', (d: Buffer) => (out += d.toString()));
      probe.on('exit', () => resolve(out.includes('PONG')));
    });
    if (ok) return child;
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describeWithRedis('Losing Redis while trades flow (e2e)', () => {
  let t: TestApp;
  let redis: ChildProcess;
  let port: number;
  let admin: Actor;
  let w: World;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await createTestApp({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      SIM_TIME_SCALE: '300000',
      SWEEP_INTERVAL_MS: '1000',
      QUEUE_LOCK_DURATION_MS: '2000',
    });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B', 'C'], commodities: ['ORE'] });
    for (const s of ['A', 'B', 'C']) {
      await admin
        .post(`/api/inventory/${w.stations[s]}/adjustments`)
        .send({ commodityId: w.commodities.ORE, delta: 1000, reason: 'stock' })
        .expect(201);
    }
  });
  afterAll(async () => {
    await t.close();
    await stop(redis);
  });

  const ready = async () => (await request(t.url).get('/health/ready')).status;

  it('keeps taking trades, reports not ready, recovers, and delivers every shipment', async () => {
    const names = ['A', 'B', 'C'];
    const trades: string[] = [];
    const place = async (i: number) => {
      const res = await admin
        .post('/api/trades')
        .send({
          sellerStationId: w.stations[names[i % 3]],
          buyerStationId: w.stations[names[(i + 1) % 3]],
          items: [{ commodityId: w.commodities.ORE, quantity: 1 + (i % 3), unitPrice: 10 }],
        })
        .expect(201);
      trades.push(res.body.shipmentId as string);
    };

    for (let i = 0; i < 10; i++) await place(i);
    expect(await ready()).toBe(200);

    await stop(redis);
    await waitFor(ready, (status) => status === 503, { timeoutMs: 15_000, intervalMs: 200 });
    // The database is the source of truth: trades go on while Redis is away.
    for (let i = 10; i < 20; i++) await place(i);

    redis = await startRedis(port);
    await waitFor(ready, (status) => status === 200, { timeoutMs: 30_000, intervalMs: 200 });
    for (let i = 20; i < 30; i++) await place(i);

    const delivered = await waitFor(
      async () =>
        (
          await t.dataSource.query(
            `SELECT count(*)::int AS n FROM shipments WHERE id = ANY($1) AND status = 'delivered'`,
            [trades],
          )
        )[0].n as number,
      (n) => n === trades.length,
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(delivered).toBe(30);

    const [{ complete }] = await t.dataSource.query(
      `SELECT count(*)::int AS complete FROM (
         SELECT payload->>'shipmentId' AS id FROM events
          WHERE type = 'shipment.status_changed' AND payload->>'shipmentId' = ANY($1)
          GROUP BY 1 HAVING array_agg(payload->>'status' ORDER BY id) = ARRAY['scheduled', 'in_transit', 'delivered']) s`,
      [trades],
    );
    expect(complete).toBe(30);
    const [{ completed }] = await t.dataSource.query(
      `SELECT count(*)::int AS completed FROM trades WHERE status = 'completed'`,
    );
    expect(completed).toBe(30);
    await expectBooksBalanced(t.dataSource);
  });
});
