import request from 'supertest';
import { Actor, createActor } from './helpers/auth';
import { checkBooks } from './helpers/invariants';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { ApiDocument, Operation, Schema } from './helpers/openapi';
import { buildWorld, World } from './helpers/world';

interface Probe {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  raw?: { contentType: string; payload: string };
}

const BROKEN_IDS = [
  'x',
  '0',
  '-1',
  '1e99',
  'null',
  'undefined',
  '%00',
  '..%2F..%2Fetc',
  'a'.repeat(300),
  '01900000-0000-7000-8000-00000000000',
  "'%3B DROP TABLE planets%3B--",
  '%F0%9F%92%A5',
  '01900000-0000-7000-8000-000000000000',
  '{}',
  '%20',
];
const BAD_QUERY = [
  '',
  'abc',
  '-1',
  '0',
  '1.5',
  '1e309',
  '99999999999999999999999',
  'null',
  '[]',
  '{}',
  'x'.repeat(5000),
  '%',
  "'",
  'true',
];
const BAD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  -2147483649,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  '',
  ' ',
  'x'.repeat(100_000),
  '💥',
  [],
  {},
  [1, 2],
  { a: 1 },
  '2026-13-45',
  '<script>',
  "' OR 1=1 --",
  '01900000-0000-7000-8000-000000000000',
];
const RAW_BODIES = [
  '{',
  '{"a":',
  'nul',
  '[1,2',
  '\u0000',
  '['.repeat(5000),
  '{"a":1}}',
  '"just a string"',
  '123',
  'true',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
];

describe('Fuzzing every operation of /docs-json (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let trader: Actor;
  let w: World;
  let doc: ApiDocument;

  beforeAll(async () => {
    t = await createTestApp({ SIM_TIME_SCALE: '1' });
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    w = await buildWorld(admin, { stations: ['A', 'B'], commodities: ['ORE'] });
    trader = await createActor(t, 'trader', [w.stations.A]);
    await admin
      .post(`/api/inventory/${w.stations.A}/adjustments`)
      .send({ commodityId: w.commodities.ORE, delta: 1000, reason: 'stock' })
      .expect(201);
    doc = await ApiDocument.load(t.url, w, trader.id);
  });
  afterAll(() => t.close());

  const resolve = (s: Schema): Schema => doc.resolve(s);
  const plausible = (name: string, schema: Schema): unknown => doc.plausible(name, schema);

  function probesFor(path: string, method: string, op: Operation): Probe[] {
    const params = op.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const fill = (override?: [string, string]) => doc.fillPath(path, op, override);
    const url = fill();
    const probes: Probe[] = [];
    for (const p of pathParams) for (const id of BROKEN_IDS) probes.push({ method, path: fill([p.name, id]) });
    for (const q of params.filter((p) => p.in === 'query'))
      for (const v of BAD_QUERY) probes.push({ method, path: url, query: { [q.name]: v } });
    probes.push({ method, path: url, query: { unknownParam: '1' } });

    const bodySchema = doc.bodySchema(op);
    if (bodySchema) {
      const s = bodySchema;
      const valid = plausible('', s) as Record<string, unknown>;
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        for (const bad of BAD_VALUES) probes.push({ method, path: url, body: { ...valid, [key]: bad } });
        probes.push({ method, path: url, body: Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key)) });
        const inner = resolve(prop);
        if (inner.type === 'array' && inner.items) {
          const item = plausible(key, inner.items) as Record<string, unknown>;
          probes.push({ method, path: url, body: { ...valid, [key]: Array.from({ length: 51 }, () => item) } });
          probes.push({ method, path: url, body: { ...valid, [key]: Array.from({ length: 5000 }, () => item) } });
          for (const [itemKey] of Object.entries(resolve(inner.items).properties ?? {})) {
            for (const bad of BAD_VALUES)
              probes.push({ method, path: url, body: { ...valid, [key]: [{ ...item, [itemKey]: bad }] } });
          }
        }
        if (inner.type === 'object' || inner.properties) {
          for (const [innerKey] of Object.entries(inner.properties ?? {})) {
            for (const bad of BAD_VALUES.slice(0, 12)) {
              probes.push({
                method,
                path: url,
                body: { ...valid, [key]: { ...(valid[key] as object), [innerKey]: bad } },
              });
            }
          }
        }
      }
      probes.push({ method, path: url, body: { ...valid, unknownField: 1 } });
      for (const whole of [[], 'text', 42, null, {}, [valid]]) {
        probes.push({ method, path: url, raw: { contentType: 'application/json', payload: JSON.stringify(whole) } });
      }
    }
    probes.push(
      ...randomMutations(
        method,
        path,
        pathParams.map((p) => p.name),
        params.filter((p) => p.in === 'query').map((p) => p.name),
        bodySchema,
      ),
    );
    if (method !== 'get') {
      for (const payload of RAW_BODIES)
        probes.push({ method, path: url, raw: { contentType: 'application/json', payload } });
      probes.push({ method, path: url, raw: { contentType: 'text/plain', payload: 'hello' } });
      probes.push({ method, path: url, raw: { contentType: 'application/x-www-form-urlencoded', payload: 'a=1&b=2' } });
    }
    return probes;
  }

  /** Deterministic pseudo-random numbers, so a failure can be replayed. */
  function mulberry32(seed: number) {
    return () => {
      seed |= 0;
      seed = (seed + 0x6d2b79f5) | 0;
      let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
      return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** 150 requests per operation, each breaking one to three random things of a plausible request. */
  function randomMutations(
    method: string,
    path: string,
    pathNames: string[],
    queryNames: string[],
    bodySchema?: Schema,
  ): Probe[] {
    const random = mulberry32([...`${method}${path}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const probes: Probe[] = [];
    for (let n = 0; n < 150; n++) {
      const ids = Object.fromEntries(pathNames.map((name) => [name, plausible(name, { format: 'uuid' }) as string]));
      const query: Record<string, string> = {};
      const body = bodySchema ? (structuredClone(plausible('', bodySchema)) as Record<string, unknown>) : undefined;
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        const target = pick(['path', 'query', 'body', 'body', 'body'] as const);
        if (target === 'path' && pathNames.length > 0) ids[pick(pathNames)] = pick(BROKEN_IDS);
        else if (target === 'query' && queryNames.length > 0) query[pick(queryNames)] = pick(BAD_QUERY);
        else if (body) {
          // Walk down a random path of the body and break what is there.
          let node: Record<string, unknown> = body;
          for (;;) {
            const keys = Object.keys(node);
            if (keys.length === 0) break;
            const key = pick(keys);
            const value = node[key];
            const inner = Array.isArray(value) ? value[0] : value;
            if (inner && typeof inner === 'object' && random() < 0.5) node = inner as Record<string, unknown>;
            else {
              if (random() < 0.15) delete node[key];
              else node[key] = structuredClone(pick(BAD_VALUES));
              break;
            }
          }
        }
      }
      probes.push({ method, path: path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name]), query, body });
    }
    return probes;
  }

  it('never answers 5xx, and every error is in the error format', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    const operations = doc.operations();
    expect(operations.length).toBeGreaterThan(20);
    for (const { path, method, op } of operations) {
      const probes = probesFor(path, method, op);
      for (const [i, probe] of probes.entries()) {
        const who = i % 5 === 4 ? trader : admin;
        let req = (request(t.url) as unknown as Record<string, (p: string) => request.Test>)
          [probe.method](probe.path)
          .set('Authorization', `Bearer ${who.accessToken}`)
          .set('Accept', 'application/json');
        if (probe.query) req = req.query(probe.query);
        if (probe.raw) req = req.set('Content-Type', probe.raw.contentType).send(probe.raw.payload);
        else if (probe.body !== undefined) req = req.send(probe.body as object);
        const res = await req;
        sent++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // Signed in throughout: a 401 outside the auth routes would mean a probe never reached the route.
        if (res.status === 401 && !probe.path.startsWith('/api/auth/'))
          failures.push(`401 ${probe.method} ${probe.path}`);
        const where = `${probe.method.toUpperCase()} ${probe.path} ${JSON.stringify(probe.query ?? probe.body ?? probe.raw)?.slice(0, 120)}`;
        if (res.status >= 500) failures.push(`${res.status} ${where}`);
        else if (res.status >= 400) {
          const b = res.body as Record<string, unknown>;
          const ok =
            b &&
            b.statusCode === res.status &&
            typeof b.code === 'string' &&
            typeof b.message === 'string' &&
            typeof b.requestId === 'string';
          if (!ok) failures.push(`bad error body ${res.status} ${where}: ${res.text.slice(0, 200)}`);
          if (/at .*\.(ts|js):\d+|QueryFailedError|SELECT |INSERT /.test(res.text)) failures.push(`leak ${where}`);
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(sent).toBeGreaterThan(3000);
    // The inputs really were refused for what they are, not stopped at the door.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(sent / 2);

    const books = await checkBooks(t.dataSource);
    expect(books.onHand + books.inTransit).toBe(books.adjustments);
    expect(books).toMatchObject({ badLevels: 0, badStations: 0, negative: 0 });
  }, 300_000);
});
