import { spawn } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { AddressClient } from './helpers/address-client';
import { startApiProcess } from './helpers/api-process';
import { RealtimeClient } from './helpers/realtime-client';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

describe('Production hardening (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let trader: Actor;
  let w: World;
  const logLines: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(
      { RATE_LIMIT_MAX: '40', LOG_LEVEL: 'info', CORS_ORIGINS: 'https://dashboard.example' },
      { logTo: { write: (line: string) => void logLines.push(line) } },
    );
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE'] });
    trader = await createActor(t, 'trader', [w.stations.A]);
  });
  afterAll(() => t.close());

  it('answers a burst past the limit with 429, Retry-After and X-RateLimit headers, per user', async () => {
    const burster = await createActor(t, 'trader');
    const responses = [];
    for (let i = 0; i < 45; i++) responses.push(await burster.get('/api/commodities'));
    const limited = responses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(responses[0].headers['x-ratelimit-limit']).toBe('40');
    expect(Number(responses[0].headers['x-ratelimit-remaining'])).toBeGreaterThanOrEqual(0);
    expectErrorFormat(limited[0].body, 429, 'REQUEST.RATE_LIMITED');
    expect(Number(limited[0].headers['retry-after'])).toBeGreaterThan(0);
    // Another user has a budget of their own.
    await trader.get('/api/commodities').expect(200);
  });

  it('refuses an oversized body with 413 in the error format', async () => {
    const res = await admin
      .post('/api/planets')
      .send({ name: 'x'.repeat(300 * 1024), position: { x: 0, y: 0, z: 0 } })
      .expect(413);
    expectErrorFormat(res.body, 413, 'REQUEST.PAYLOAD_TOO_LARGE');
  });

  it('caps list limits', async () => {
    await admin.get('/api/stations').query({ limit: 100 }).expect(200);
    expectErrorFormat((await admin.get('/api/stations').query({ limit: 101 }).expect(400)).body, 400);
    expectErrorFormat((await admin.get('/api/cargo').query({ limit: 1e9 }).expect(400)).body, 400);
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await admin.get('/api/stations').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('allows CORS only for the configured origins', async () => {
    const allowed = await request(t.url)
      .options('/api/stations')
      .set('Origin', 'https://dashboard.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dashboard.example');
    const refused = await request(t.url)
      .options('/api/stations')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();

    // Answers, errors before the handler included, carry the headers a browser needs to read them.
    const read = await admin.get('/api/stations').set('Origin', 'https://dashboard.example').expect(200);
    expect(read.headers['access-control-allow-origin']).toBe('https://dashboard.example');
    expect(read.headers['access-control-expose-headers']).toContain('ETag');
    expect(read.headers.vary).toContain('Origin');
    const badJson = await admin
      .post('/api/planets')
      .set('Origin', 'https://dashboard.example')
      .set('Content-Type', 'application/json')
      .send('{"name":')
      .expect(400);
    expect(badJson.headers['access-control-allow-origin']).toBe('https://dashboard.example');
    const missing = await admin.get('/api/nowhere').set('Origin', 'https://dashboard.example').expect(404);
    expect(missing.headers['access-control-allow-origin']).toBe('https://dashboard.example');
    const sse = await fetch(`${t.url}/api/updates/real-time`, {
      headers: {
        Accept: 'text/event-stream',
        Authorization: `Bearer ${trader.accessToken}`,
        Origin: 'https://dashboard.example',
      },
    });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    expect(sse.headers.get('access-control-allow-origin')).toBe('https://dashboard.example');
    expect(sse.headers.get('x-content-type-options')).toBe('nosniff');
    expect(sse.headers.get('x-request-id')).toMatch(/^[^,]+$/); // once, not once per layer
    await sse.body!.cancel();
    const other = await admin.get('/api/stations').set('Origin', 'https://evil.example').expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('logs one structured line per request with request id, user and latency, secrets redacted', async () => {
    logLines.length = 0;
    await request(t.url)
      .post('/api/auth/login')
      .set('X-Request-Id', 'log-probe-1')
      .send({ email: admin.email, password: 'correct-horse-battery' })
      .expect(200);
    await admin.get('/api/stations').set('X-Request-Id', 'log-probe-2').expect(200);
    const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const probe = entries.find((e) => e.reqId === 'log-probe-2' && e.msg === 'request');
    expect(probe).toMatchObject({
      reqId: 'log-probe-2',
      userId: admin.id,
      method: 'GET',
      route: '/api/stations',
      statusCode: 200,
    });
    expect(typeof probe!.latencyMs).toBe('number');
    expect(entries.some((e) => e.reqId === 'log-probe-1')).toBe(true);
    const all = logLines.join('\n');
    expect(all).not.toContain('correct-horse-battery');
    expect(all).not.toContain(admin.accessToken);
  });

  it('exposes Prometheus metrics on a port of its own, bound to loopback', async () => {
    await admin
      .post(`/api/inventory/${w.stations.A}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 100, reason: 'stock' })
      .expect(201);
    await trader
      .post('/api/trades')
      .send({
        sellerStationId: w.stations.A,
        buyerStationId: w.stations.B,
        items: [{ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1 }],
      })
      .expect(201);
    expect(new URL(t.metricsUrl).hostname).toBe('127.0.0.1');
    expect(new URL(t.metricsUrl).port).not.toBe(new URL(t.url).port);
    const res = await request(t.metricsUrl).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    for (const series of [
      'http_request_duration_seconds_bucket{',
      'itn_trades_created_total 1',
      'itn_shipments{status=',
      'itn_queue_jobs{queue="shipments"',
      'itn_job_duration_seconds',
      'itn_socketio_connections',
      'itn_event_follower_lag_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(res.text).toContain(series);
    }
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/api\/trades",status_code="201"\} \d+/,
    );
  });

  it('serves no metrics on the API port, to anyone, and nothing else on the metrics port', async () => {
    // From an address of its own and as users of their own, so that the rate limit budgets of
    // the other tests stay as they are.
    const client = new AddressClient(t.url);
    const tokens = [
      undefined,
      (await createActor(t, 'admin')).accessToken,
      (await createActor(t, 'trader')).accessToken,
    ];
    for (const path of [
      '/metrics',
      '/metrics/',
      '/METRICS',
      '/api/metrics',
      '/%6detrics',
      '/metrics?x=1',
      '//metrics',
    ]) {
      for (const token of tokens) {
        const res = await client.send('GET', path, { token });
        expect([path, res.status]).toEqual([path, 404]);
        expectErrorFormat(res.body, 404);
        expect(res.text).not.toContain('process_resident_memory_bytes');
      }
    }
    for (const [method, path] of [
      ['post', '/metrics'],
      ['get', '/api/trades'],
      ['get', '/docs'],
    ] as const) {
      const res = await request(t.metricsUrl)[method](path);
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expectErrorFormat(JSON.parse(res.text), 404, 'REQUEST.NOT_FOUND');
    }
  });

  it('stops at start-up with a clear message when the metrics port is taken', async () => {
    const port = new URL(t.metricsUrl).port;
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'apps', 'api', 'src', 'main.js')], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', METRICS_PORT: port, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain(`METRICS_PORT ${port} on 127.0.0.1 is in use`);
  }, 60_000);

  it('serves Bull Board to admins only', async () => {
    expectErrorFormat((await request(t.url).get('/admin/queues').expect(401)).body, 401);
    expectErrorFormat((await trader.get('/admin/queues').expect(403)).body, 403, 'AUTH.FORBIDDEN');
    expectErrorFormat((await trader.get('/admin/queues/api/queues').expect(403)).body, 403);
    const page = await admin.get('/admin/queues').expect(200);
    expect(page.text).toContain('<html');
    const queues = await admin.get('/admin/queues/api/queues').expect(200);
    expect(JSON.stringify(queues.body)).toContain('shipments');
    await request(t.url).get('/admin/queues').set('Cookie', `itn_access_token=${admin.accessToken}`).expect(200);
  });

  it('shuts down on SIGTERM: ends streams and sockets itself, then exits', async () => {
    const { child, url } = await startApiProcess({ SEED_DEMO: 'false' });
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(`${code}/${signal}`)));
    const socket = await RealtimeClient.connect(url, trader.accessToken);
    const disconnected = new Promise((resolve) => socket.socket.once('disconnect', resolve));
    const sse = await fetch(`${url}/api/updates/real-time`, {
      headers: { Accept: 'text/event-stream', Authorization: `Bearer ${trader.accessToken}` },
    });
    const reader = sse.body!.getReader();
    await reader.read(); // the stream is open
    const streamEnded = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();

    child.kill('SIGTERM');
    // Nest closes everything, then re-raises the signal, as a process stopped by it should.
    await expect(Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))])).resolves.toBe(
      'null/SIGTERM',
    );
    // Ended by the server (a clean end of stream, a server-side disconnect), not cut by a dying process.
    await expect(streamEnded).resolves.toBe(true);
    await expect(disconnected).resolves.toBe('io server disconnect');
    socket.close();
  });
});
