import { SHIPMENTS_QUEUE } from '@itn/cargo';
import { MAINTENANCE_QUEUE } from '@itn/events';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { request as httpRequest } from 'node:http';
import { AddressClient } from './helpers/address-client';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp } from './helpers/test-app';

interface RawAnswer {
  status: number;
  body: string;
}

/** Sends the path exactly as written (no client-side normalisation of `//`, `/./`, `%xx` or `;`). */
function raw(base: string, method: string, path: string, token?: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method,
        path,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(method === 'GET' || method === 'HEAD' ? {} : { 'content-type': 'application/json', 'content-length': 2 }),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(method === 'GET' || method === 'HEAD' ? undefined : '{}');
  });
}

/** Spellings of board URLs that a router may decode or normalise to a board route. */
const READ_VARIANTS = [
  '/admin/queues',
  '/%61dmin/queues',
  '/a%64min/queues',
  '/adm%69n/queues',
  '/admi%6E/queues',
  '/admin/%71ueues',
  '/admin/qu%65ues',
  '/admin/queue%73',
  '/%61%64%6d%69%6e/%71%75%65%75%65%73',
  '/ADMIN/QUEUES',
  '/Admin/Queues',
  '//admin/queues',
  '/admin//queues',
  '/./admin/queues',
  '/admin/./queues',
  '/admin/queues/',
  '/admin/queues;x=1',
  '/admin;x/queues',
  '/admin/queues?x=1',
  '/admin/queues?/',
  '/admin/queues#x',
  '/admin%2Fqueues',
  '/admin/%2571ueues',
  '/admin/queues/queue/shipments',
  '/admin/queues/api/queues',
  '/admin/queues/api/queues?activeQueue=shipments',
  '/%61dmin/queues/api/queues',
  '/admin/queues/api/queues/',
  '/admin/queues/api/redis/stats',
  '/admin/queues/api/queues/shipments/workers',
];

/** The board's state-changing API, on the real queue names. */
const WRITE_VARIANTS: [string, string][] = [
  ['PUT', '/admin/queues/api/queues/pause'],
  ['PUT', '/%61dmin/queues/api/queues/pause'],
  ['PUT', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/pause`],
  ['PUT', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/pause?x=1`],
  ['PUT', `/admin/%71ueues/api/queues/${SHIPMENTS_QUEUE}/empty`],
  ['PUT', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/obliterate`],
  ['PUT', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/clean/completed`],
  ['PUT', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/retry/failed`],
  ['PUT', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/promote`],
  ['POST', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/add`],
  ['POST', `/%61dmin/queues/api/queues/${MAINTENANCE_QUEUE}/add`],
  ['DELETE', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/obliterate`],
  ['PATCH', `/admin/queues/api/queues/${SHIPMENTS_QUEUE}/x/update-data`],
  ['HEAD', '/admin/queues/api/queues'],
  ['HEAD', '/%61dmin/queues'],
];

/** Whether an answer came from the board itself rather than from a refusal or the router's 404. */
function fromBoard(answer: RawAnswer): boolean {
  if (answer.status < 400) return true;
  try {
    const body = JSON.parse(answer.body) as { code?: unknown; requestId?: unknown };
    return typeof body.code !== 'string' || typeof body.requestId !== 'string';
  } catch {
    return true;
  }
}

describe('Bull Board access under every spelling of its URLs (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let trader: Actor;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createActor(t, 'admin');
    trader = await createActor(t, 'trader');
  });
  afterAll(() => t.close());

  it.each(READ_VARIANTS)('GET and HEAD %s reach the board only with an admin token', async (path) => {
    for (const method of ['GET', 'HEAD']) {
      const asAdmin = await raw(t.url, method, path, admin.accessToken);
      const anonymous = await raw(t.url, method, path);
      const asTrader = await raw(t.url, method, path, trader.accessToken);
      if (method === 'HEAD') {
        // No body to read: the status alone must say "refused" wherever the admin got through.
        expect(anonymous.status).toBeGreaterThanOrEqual(400);
        expect(asTrader.status).toBeGreaterThanOrEqual(400);
        if (asAdmin.status < 400) {
          expect(anonymous.status).toBe(401);
          expect(asTrader.status).toBe(403);
        }
        continue;
      }
      expect(fromBoard(anonymous)).toBe(false);
      expect(fromBoard(asTrader)).toBe(false);
      if (fromBoard(asAdmin)) {
        expectErrorFormat(JSON.parse(anonymous.body), 401, 'AUTH.UNAUTHORIZED');
        expectErrorFormat(JSON.parse(asTrader.body), 403, 'AUTH.FORBIDDEN');
      }
    }
  });

  it('reaches the board through decoded spellings as an admin (the table above is not all 404s)', async () => {
    for (const path of ['/admin/queues', '/%61dmin/queues', '/admin/queues?x=1', '/admin/%71ueues/api/queues']) {
      const answer = await raw(t.url, 'GET', path, admin.accessToken);
      expect({ path, status: answer.status }).toEqual({ path, status: 200 });
    }
  });

  it.each(WRITE_VARIANTS)('%s %s is refused without an admin token and changes nothing', async (method, path) => {
    const shipments = t.app.get<Queue>(getQueueToken(SHIPMENTS_QUEUE));
    const maintenance = t.app.get<Queue>(getQueueToken(MAINTENANCE_QUEUE));
    const schedulers = () => Promise.all([shipments.getJobSchedulersCount(), maintenance.getJobSchedulersCount()]);
    const before = await schedulers();
    expect(before.reduce((a, b) => a + b)).toBeGreaterThan(0);

    for (const token of [undefined, trader.accessToken, 'not-a-token']) {
      const answer = await raw(t.url, method, path, token);
      expect([400, 401, 403, 404]).toContain(answer.status);
      if (method !== 'HEAD') expect(fromBoard(answer)).toBe(false);
    }

    expect(await shipments.isPaused()).toBe(false);
    expect(await maintenance.isPaused()).toBe(false);
    // Emptying or obliterating a queue would have removed its job schedulers (sweep, maintenance).
    expect(await schedulers()).toEqual(before);
  });

  describe('with the cookie a browser sends by itself', () => {
    const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      fetch(`${t.url}${path}`, { method, headers, body, redirect: 'manual' });
    const maintenanceJobs = () =>
      t.app
        .get<Queue>(getQueueToken(MAINTENANCE_QUEUE))
        .getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed');

    it('answers a cookie that is not even percent-encoding with 401 in the error format', async () => {
      for (const [method, path] of [
        ['GET', '/admin/queues'],
        ['PUT', '/admin/queues/api/queues/shipments/pause'],
      ]) {
        const res = await send(method, path, { cookie: 'itn_access_token=%E0%A4%A' });
        expect([path, res.status]).toEqual([path, 401]);
        expectErrorFormat(await res.json(), 401, 'AUTH.UNAUTHORIZED');
      }
    });

    it('refuses changes another site could have sent with an admin cookie, and takes them with a header', async () => {
      const cookie = `itn_access_token=${admin.accessToken}`;
      const before = await maintenanceJobs();
      const forged: [string, Record<string, string>, string][] = [
        ['form', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=prune'],
        ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
        ['text', { 'content-type': 'text/plain' }, '{"name":"prune"}'],
        ['cross-site JSON', { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, '{"name":"prune"}'],
        ['same-site JSON', { 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }, '{"name":"prune"}'],
      ];
      for (const [what, headers, body] of forged) {
        const res = await send('POST', '/admin/queues/api/queues/maintenance/add', { cookie, ...headers }, body);
        expect([what, res.status]).toEqual([what, 403]);
        expectErrorFormat(await res.json(), 403, 'AUTH.CROSS_SITE_REFUSED');
      }
      expect(await maintenanceJobs()).toBe(before);
      // The board's own page: JSON from the same origin, with the cookie.
      const own = await send(
        'PUT',
        '/admin/queues/api/queues/maintenance/pause',
        { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
        '{}',
      );
      expect(own.status).toBeLessThan(300);
      expect(await t.app.get<Queue>(getQueueToken(MAINTENANCE_QUEUE)).isPaused()).toBe(true);
      const resumed = await send(
        'PUT',
        '/admin/queues/api/queues/maintenance/resume',
        { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'text/plain' },
        '{}',
      );
      expect(resumed.status).toBeLessThan(300);
      expect(await t.app.get<Queue>(getQueueToken(MAINTENANCE_QUEUE)).isPaused()).toBe(false);
    });
  });

  it('answers a caller over budget with 429 on the board and on CORS preflights too', async () => {
    const limited = await createTestApp({ RATE_LIMIT_MAX: '5' });
    try {
      const caller = new AddressClient(limited.url);
      for (let i = 0; i < 5; i++) await caller.get('/api/nowhere');
      for (const [method, path, headers] of [
        ['GET', '/admin/queues/api/queues', {}],
        ['GET', '/admin/queues', {}],
        ['OPTIONS', '/api/stations', { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' }],
      ] as const) {
        const res = await caller.send(method, path, { headers: { ...headers } });
        expect([method, path, res.status]).toEqual([method, path, 429]);
      }
    } finally {
      await limited.close();
    }
  });
});
