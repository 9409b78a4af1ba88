import { MAX_JSON_DEPTH } from '@itn/core';
import request from 'supertest';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { checkBooks } from './helpers/invariants';
import { ApiDocument } from './helpers/openapi';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { buildWorld, World } from './helpers/world';

const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const BAD_TEXT = [
  ['a\u0000b', 'must not contain NUL characters'],
  ['a\ud800b', 'must be valid Unicode text (no lone surrogates)'],
] as const;

/** Paths (`items.0.reason`) of every string in a JSON value. */
function stringFields(value: unknown, field = ''): string[] {
  if (typeof value === 'string') return [field];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => stringFields(v, field ? `${field}.${k}` : k));
}

function withValueAt(body: unknown, field: string, value: string): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = field.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
  return copy;
}

describe('Hostile input: deep JSON, NUL and broken Unicode on every operation (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let trader: Actor;
  let w: World;
  let doc: ApiDocument;
  let bodyLimit: number;
  let rowsBefore: Record<string, string>;
  const countRows = async () =>
    (
      await t.dataSource.query<Record<string, string>[]>(
        `SELECT (SELECT count(*) FROM planets) AS planets, (SELECT count(*) FROM stations) AS stations,
                (SELECT count(*) FROM commodities) AS commodities, (SELECT count(*) FROM users) AS users,
                (SELECT count(*) FROM trades) AS trades, (SELECT count(*) FROM shipments) AS shipments,
                (SELECT count(*) FROM stock_ledger) AS ledger`,
      )
    )[0];

  beforeAll(async () => {
    t = await createTestApp();
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE'] });
    trader = await createActor(t, 'trader', [w.stations.A]);
    await admin
      .post(`/api/inventory/${w.stations.A}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 1000, reason: 'stock' })
      .expect(201);
    doc = await ApiDocument.load(t.url, w, trader.id);
    bodyLimit = Number(process.env.BODY_LIMIT_BYTES ?? 262_144);
    rowsBefore = await countRows();
  });
  afterAll(() => t.close());

  /** Each caller: an admin, a trader of station A, and nobody. */
  const callers = (): [string, string | undefined][] => [
    ['admin', admin.accessToken],
    ['trader', trader.accessToken],
    ['anonymous', undefined],
  ];

  function send(method: string, path: string, token: string | undefined, payload?: string): request.Test {
    let req = (request(t.url) as unknown as Record<string, (p: string) => request.Test>)
      [method](path)
      .set('Accept', 'application/json');
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    if (payload !== undefined) req = req.set('Content-Type', 'application/json').send(payload);
    return req;
  }

  const writeOperations = () => doc.operations().filter(({ method }) => method !== 'get');

  it('refuses JSON nested deeper than the limit on every operation that reads a body, for every caller', async () => {
    const failures: string[] = [];
    const operations = writeOperations();
    expect(operations.length).toBeGreaterThan(10);
    const hostile = [
      arrays(2_000),
      objects(2_000),
      arrays(MAX_JSON_DEPTH + 1),
      `{"name":${arrays(MAX_JSON_DEPTH)}}`,
      `{"s":"[[[[","x":${'['.repeat(Math.floor(bodyLimit / 2) - 20)}${']'.repeat(Math.floor(bodyLimit / 2) - 20)}}`,
    ];
    for (const { path, method, op } of operations) {
      const url = doc.fillPath(path, op);
      for (const [who, token] of callers()) {
        for (const payload of hostile) {
          const res = await send(method, url, token, payload);
          if (res.status !== 400 || res.body?.code !== 'REQUEST.TOO_DEEP')
            failures.push(
              `${who} ${method.toUpperCase()} ${url} (${payload.length} bytes): ${res.status} ${res.text.slice(0, 120)}`,
            );
          else expectErrorFormat(res.body, 400, 'REQUEST.TOO_DEEP');
        }
        // At the limit itself the body is judged for what it says, whatever the answer.
        const atLimit = await send(method, url, token, arrays(MAX_JSON_DEPTH));
        if (atLimit.status >= 500 || atLimit.body?.code === 'REQUEST.TOO_DEEP')
          failures.push(
            `${who} ${method.toUpperCase()} ${url} at the limit: ${atLimit.status} ${atLimit.text.slice(0, 120)}`,
          );
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  }, 120_000);

  it('refuses NUL characters and lone surrogates in every string field of every body, naming the field', async () => {
    const failures: string[] = [];
    let probed = 0;
    for (const { path, method, op } of writeOperations()) {
      const schema = doc.bodySchema(op);
      if (!schema) continue;
      const valid = doc.plausible('', schema);
      const url = doc.fillPath(path, op);
      for (const field of stringFields(valid)) {
        for (const [text, error] of BAD_TEXT) {
          for (const [who, token] of [callers()[0], callers()[2]]) {
            const res = await send(method, url, token, JSON.stringify(withValueAt(valid, field, text)));
            probed++;
            const named = (res.body?.details as { field: string; errors: string[] }[] | undefined)?.find(
              (d) => d.field === field,
            );
            if (res.status !== 400 || res.body?.code !== 'VALIDATION.FAILED' || !named?.errors.includes(error))
              failures.push(
                `${who} ${method.toUpperCase()} ${url} ${field}=${JSON.stringify(text)}: ${res.status} ${res.text.slice(0, 160)}`,
              );
          }
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(probed).toBeGreaterThan(40);
  }, 120_000);

  it('refuses them in every query and path parameter, and in parameter names', async () => {
    const failures: string[] = [];
    /** 400, naming `field` when given; `authFirst`: a caller without a token may be turned away first (401). */
    const check = async (
      what: string,
      method: string,
      url: string,
      token: string | undefined,
      expected: { field?: string; authFirst?: boolean },
    ) => {
      const res = await send(method, url, token, method === 'get' ? undefined : '{}');
      const named =
        expected.field === undefined ||
        (res.body?.details as { field: string }[] | undefined)?.some((d) => d.field === expected.field) === true;
      const ok = (res.status === 400 && named) || (expected.authFirst && !token && res.status === 401);
      if (!ok) failures.push(`${what} ${method.toUpperCase()} ${url}: ${res.status} ${res.text.slice(0, 160)}`);
      else expectErrorFormat(res.body, res.status);
    };
    for (const { path, method, op } of doc.operations()) {
      const params = op.parameters ?? [];
      const url = doc.fillPath(path, op);
      const join = (query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;
      for (const [who, token] of [callers()[0], callers()[2]]) {
        for (const q of params.filter((p) => p.in === 'query')) {
          await check(who, method, join(`${q.name}=a%00b`), token, { field: q.name });
          // Bytes that are no UTF-8 are decoded to U+FFFD (valid text), then judged as any value.
          await check(who, method, join(`${q.name}=a%ED%A0%80b`), token, { authFirst: true });
        }
        for (const p of params.filter((x) => x.in === 'path')) {
          await check(who, method, doc.fillPath(path, op, [p.name, 'a%00b']), token, {});
        }
        await check(who, method, join('bad%00name=1'), token, { field: 'bad\u0000name' });
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  }, 120_000);

  it('refuses objects and lists larger than any request has, before validating them, for every caller', async () => {
    const failures: string[] = [];
    const manyKeys = JSON.stringify(Object.fromEntries(Array.from({ length: 18_000 }, (_, i) => [`k${i}`, 1])));
    const manyLines = JSON.stringify({
      sellerStationId: w.stations.A,
      buyerStationId: w.stations.B,
      items: Array.from({ length: 2_500 }, () => ({ commodityId: w.commodities.ORE, quantity: 1, unitPrice: 1 })),
    });
    const wideInside = JSON.stringify({
      position: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, i])),
    });
    for (const { path, method, op } of writeOperations()) {
      const url = doc.fillPath(path, op);
      for (const [who, token] of callers()) {
        for (const payload of [manyKeys, manyLines, wideInside]) {
          const started = performance.now();
          const res = await send(method, url, token, payload);
          const ms = performance.now() - started;
          if (res.status !== 400 || res.body?.code !== 'REQUEST.TOO_COMPLEX' || res.text.length > 1_000)
            failures.push(`${who} ${method.toUpperCase()} ${url}: ${res.status} ${res.text.slice(0, 120)}`);
          else if (ms > 250) failures.push(`${who} ${method.toUpperCase()} ${url}: ${Math.round(ms)} ms`);
        }
      }
    }
    const wideQuery = Array.from({ length: 500 }, (_, i) => `q${i}=1`).join('&');
    const res = await send('get', `/api/trades?${wideQuery}`, admin.accessToken);
    if (res.status !== 400 || res.body?.code !== 'REQUEST.TOO_COMPLEX')
      failures.push(`query: ${res.status} ${res.text.slice(0, 120)}`);
    expect(failures.slice(0, 20)).toEqual([]);
  }, 120_000);

  it('refuses numbers finer than a field takes, in any notation, with 400 naming the field', async () => {
    for (const value of [0.0000001, 1e-7, 1e-320, 0.0001]) {
      for (const field of ['unitVolume', 'unitMass']) {
        const body = { sku: `TINY-${field}`, name: 'Tiny', unitVolume: 1, unitMass: 1, [field]: value };
        const res = await send('post', '/api/commodities', admin.accessToken, JSON.stringify(body));
        expect([field, value, res.status]).toEqual([field, value, 400]);
        expect((res.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
      }
    }
  });

  it('keeps /health/live answering promptly while the largest hostile bodies arrive', async () => {
    const half = Math.floor(bodyLimit / 2) - 10;
    const payload = '['.repeat(half) + ']'.repeat(half);
    const token = trader.accessToken;
    let sending = true;
    const senders = Array.from({ length: 8 }, async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await send('post', '/api/trades', token, payload)).status);
      return statuses;
    });
    const latencies: number[] = [];
    const probe = (async () => {
      while (sending) {
        const started = performance.now();
        await request(t.url).get('/health/live').expect(200);
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const statuses = (await Promise.all(senders)).flat();
    sending = false;
    await probe;
    expect(new Set(statuses)).toEqual(new Set([400]));
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(250);
  }, 60_000);

  it('wrote nothing and lost nothing', async () => {
    const books = await checkBooks(t.dataSource);
    expect(books.onHand + books.inTransit).toBe(books.adjustments);
    expect(books).toMatchObject({ badLevels: 0, badStations: 0, negative: 0 });
    expect(await countRows()).toEqual(rowsBefore);
  });
});
