import request from 'supertest';
import { Actor, createActor } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';
import { redisMissing } from './helpers/test-env';

describe('Catalog (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  const api = () => admin;

  beforeAll(async () => {
    t = await createTestApp();
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
  });
  afterAll(() => t.close());

  async function createPlanet(name = `Planet ${Math.random()}`) {
    const res = await api()
      .post('/api/planets')
      .send({ name, position: { x: 1, y: 2, z: 3 } })
      .expect(201);
    return res.body as { id: string; name: string };
  }

  describe('planets', () => {
    it('creates, reads and lists', async () => {
      const planet = await createPlanet('Terra');
      expect(planet).toEqual({
        id: expect.any(String),
        name: 'Terra',
        position: { x: 1, y: 2, z: 3 },
        createdAt: expect.any(String),
      });
      const got = await api().get(`/api/planets/${planet.id}`).expect(200);
      expect(got.body).toEqual(planet);
      const list = await api().get('/api/planets').expect(200);
      expect(list.body.items.map((p: { id: string }) => p.id)).toContain(planet.id);
    });

    it('answers 409 with a code for a duplicate name', async () => {
      await createPlanet('Duplicate');
      const res = await api()
        .post('/api/planets')
        .send({ name: 'Duplicate', position: { x: 0, y: 0, z: 0 } })
        .expect(409);
      expectErrorFormat(res.body, 409, 'CATALOG.PLANET_NAME_TAKEN');
    });

    it.each([
      ['missing fields', {}],
      ['wrong type', { name: 42, position: { x: 0, y: 0, z: 0 } }],
      ['empty name', { name: '   ', position: { x: 0, y: 0, z: 0 } }],
      ['too long', { name: 'x'.repeat(101), position: { x: 0, y: 0, z: 0 } }],
      ['out of range', { name: 'Far', position: { x: 1e12, y: 0, z: 0 } }],
      ['unknown field', { name: 'Odd', position: { x: 0, y: 0, z: 0 }, mass: 5 }],
      ['position not an object', { name: 'Odd', position: 'here' }],
    ])('rejects %s with 400 in the error format', async (_name, body) => {
      const res = await api().post('/api/planets').send(body).expect(400);
      expectErrorFormat(res.body, 400, 'VALIDATION.FAILED');
      expect(Array.isArray(res.body.details)).toBe(true);
    });

    it('answers 404 for an unknown planet and 400 for a malformed id', async () => {
      const missing = await api().get('/api/planets/01900000-0000-7000-8000-000000000000').expect(404);
      expectErrorFormat(missing.body, 404, 'CATALOG.PLANET_NOT_FOUND');
      const malformed = await api().get('/api/planets/not-a-uuid').expect(400);
      expectErrorFormat(malformed.body, 400, 'REQUEST.INVALID_ID');
    });
  });

  describe('stations', () => {
    it('creates a station at its planet by default and finds it', async () => {
      const planet = await createPlanet();
      const res = await api()
        .post('/api/stations')
        .send({ code: 'STA-01', name: 'Alpha', planetId: planet.id, storageCapacity: 1000 })
        .expect(201);
      expect(res.body).toMatchObject({
        code: 'STA-01',
        planetId: planet.id,
        position: { x: 1, y: 2, z: 3 },
        storageCapacity: 1000,
      });
      await api().get(`/api/stations/${res.body.id}`).expect(200);
      const byPlanet = await api().get(`/api/stations?planetId=${planet.id}`).expect(200);
      expect(byPlanet.body.items).toHaveLength(1);
    });

    it('answers 409 for a duplicate code and 404 for an unknown planet', async () => {
      const planet = await createPlanet();
      const body = { code: 'DUP-01', name: 'One', planetId: planet.id, storageCapacity: 10 };
      await api().post('/api/stations').send(body).expect(201);
      const dup = await api().post('/api/stations').send(body).expect(409);
      expectErrorFormat(dup.body, 409, 'CATALOG.STATION_CODE_TAKEN');
      const noPlanet = await api()
        .post('/api/stations')
        .send({ ...body, code: 'NEW-01', planetId: '01900000-0000-7000-8000-000000000000' })
        .expect(404);
      expectErrorFormat(noPlanet.body, 404, 'CATALOG.PLANET_NOT_FOUND');
    });

    it.each([
      ['lower-case code', { code: 'abc', name: 'A', storageCapacity: 1 }],
      ['zero capacity', { code: 'CAP-0', name: 'A', storageCapacity: 0 }],
      ['fractional capacity', { code: 'CAP-1', name: 'A', storageCapacity: 1.5 }],
      ['huge capacity', { code: 'CAP-2', name: 'A', storageCapacity: 1e20 }],
      ['capacity as string', { code: 'CAP-3', name: 'A', storageCapacity: '100' }],
      ['bad planet id', { code: 'CAP-4', name: 'A', storageCapacity: 1, planetId: 'nope' }],
    ])('rejects %s with 400', async (_name, body) => {
      const planet = await createPlanet();
      const res = await api()
        .post('/api/stations')
        .send({ planetId: planet.id, ...body })
        .expect(400);
      expectErrorFormat(res.body, 400, 'VALIDATION.FAILED');
    });
  });

  describe('commodities', () => {
    it('creates and lists with cursor pagination, newest first', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await api()
          .post('/api/commodities')
          .send({ sku: `PAGE-${i}`, name: `Item ${i}`, unitVolume: 0.5, unitMass: 10 })
          .expect(201);
        created.push(res.body.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await api()
          .get('/api/commodities')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((c: { id: string }) => c.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...created].reverse());
    });

    it('rejects a duplicate sku with 409 and bad numbers with 400', async () => {
      const body = { sku: 'DUP-SKU', name: 'Dup', unitVolume: 1, unitMass: 1 };
      await api().post('/api/commodities').send(body).expect(201);
      expectErrorFormat(
        (await api().post('/api/commodities').send(body).expect(409)).body,
        409,
        'CATALOG.COMMODITY_SKU_TAKEN',
      );
      for (const bad of [
        { unitVolume: 0 },
        { unitVolume: -1 },
        { unitMass: -1 },
        { unitVolume: 0.0001 },
        { unitVolume: 'big' },
      ]) {
        const res = await api()
          .post('/api/commodities')
          .send({ ...body, sku: 'NEW-SKU', ...bad })
          .expect(400);
        expectErrorFormat(res.body, 400, 'VALIDATION.FAILED');
      }
    });

    it.each([
      ['limit 0', { limit: 0 }],
      ['limit 101', { limit: 101 }],
      ['limit not a number', { limit: 'ten' }],
      ['malformed cursor', { cursor: '!!!' }],
      ['cursor of garbage', { cursor: 'Z2FyYmFnZQ' }],
      ['unknown query parameter', { sort: 'name' }],
    ])('rejects %s on lists with 400', async (_name, query) => {
      const res = await api().get('/api/commodities').query(query).expect(400);
      expectErrorFormat(res.body, 400);
    });
  });

  describe('the HTTP contract', () => {
    it('answers unknown routes with 404 in the error format and echoes X-Request-Id', async () => {
      const res = await api().get('/api/nowhere').set('X-Request-Id', 'trace-123').expect(404);
      expectErrorFormat(res.body, 404, 'REQUEST.NOT_FOUND');
      expect(res.body.requestId).toBe('trace-123');
      expect(res.headers['x-request-id']).toBe('trace-123');
    });

    it('makes its own request id when none (or a bad one) is sent', async () => {
      const res = await api().get('/health/live').set('X-Request-Id', 'bad id with spaces').expect(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers malformed JSON with 400 in the error format', async () => {
      const res = await api().post('/api/planets').set('Content-Type', 'application/json').send('{"name":').expect(400);
      expectErrorFormat(res.body, 400);
    });

    it('answers health checks outside the /api prefix', async () => {
      await api().get('/health/live').expect(200);
      const ready = await api().get('/health/ready').expect(200);
      // Redis is checked where the service uses it (the suite runs without it where none answers).
      const redis = redisMissing() ? {} : { redis: { status: 'up' } };
      expect(ready.body.info).toMatchObject({ postgres: { status: 'up' }, services: { status: 'up' }, ...redis });
      await api().get('/api/health/live').expect(404);
    });

    it('serves Swagger UI and a JSON document listing every route', async () => {
      await api().get('/docs').expect(200);
      const doc = await api().get('/docs-json').expect(200);
      const paths = Object.keys(doc.body.paths);
      for (const path of [
        '/api/planets',
        '/api/planets/{id}',
        '/api/stations',
        '/api/stations/{id}',
        '/api/commodities',
        '/api/commodities/{id}',
        '/health/live',
        '/health/ready',
      ]) {
        expect(paths).toContain(path);
      }
    });
  });
});
