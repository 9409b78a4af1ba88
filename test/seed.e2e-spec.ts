import request from 'supertest';
import { DemoSeedService } from '../apps/api/src/seed/demo-seed.service';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';

describe('Demo seed (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await truncateAll(t.dataSource);
  });
  afterAll(() => t.close());

  const count = async (table: string) =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

  it('seeds an empty database once, and only once', async () => {
    const seed = t.app.get(DemoSeedService);
    expect(await seed.seedIfEmpty()).toBe(true);
    const counts = {
      planets: await count('planets'),
      stations: await count('stations'),
      commodities: await count('commodities'),
    };
    expect(counts.planets).toBeGreaterThanOrEqual(5);
    expect(counts.stations).toBeGreaterThanOrEqual(12);
    expect(counts.commodities).toBeGreaterThanOrEqual(20);
    expect(await seed.seedIfEmpty()).toBe(false);
    expect(await count('stations')).toBe(counts.stations);
  });

  it('lets the demo accounts sign in and see their stations and stock', async () => {
    const login = await request(t.url)
      .post('/api/auth/login')
      .send({ email: 'trader1@itn.local', password: 'trader-dev-password' })
      .expect(200);
    const auth = { Authorization: `Bearer ${login.body.accessToken}` };
    const me = await request(t.url).get('/api/auth/me').set(auth).expect(200);
    expect(me.body.stationIds.length).toBeGreaterThan(0);
    const inventory = await request(t.url).get(`/api/inventory/${me.body.stationIds[0]}`).set(auth).expect(200);
    expect(inventory.body.items.length).toBeGreaterThan(0);
    await request(t.url)
      .post('/api/auth/login')
      .send({ email: 'admin@itn.local', password: 'admin-dev-password' })
      .expect(200);
  });

  it('enters opening stock through the ledger, so the books balance', async () => {
    const broken = await t.dataSource.query(
      `SELECT l.station_id FROM stock_levels l
         LEFT JOIN (SELECT station_id, commodity_id, sum(delta) AS total FROM stock_ledger GROUP BY 1, 2) s
           USING (station_id, commodity_id)
        WHERE coalesce(s.total, 0) <> l.on_hand`,
    );
    expect(broken).toEqual([]);
  });
});
