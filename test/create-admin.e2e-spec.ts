import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { createActor, TEST_PASSWORD } from './helpers/auth';
import { createTestApp, TestApp } from './helpers/test-app';

const CLI = join(__dirname, '..', 'dist', 'apps', 'api', 'src', 'cli', 'create-admin.js');

describe('npm run create-admin (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const run = (email: string, password: string) =>
    spawnSync(process.execPath, [CLI], {
      env: { ...process.env, ADMIN_EMAIL: email, ADMIN_PASSWORD: password },
      encoding: 'utf8',
    });

  it('creates an admin who can sign in', async () => {
    const email = `ops-${Date.now()}@Example.test`;
    const result = run(email, 'a-long-operator-password');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Created admin ${email.toLowerCase()}`);
    const login = await request(t.url)
      .post('/api/auth/login')
      .send({ email: email.toLowerCase(), password: 'a-long-operator-password' })
      .expect(200);
    const me = await request(t.url).get('/api/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`);
    expect(me.body.role).toBe('admin');
  });

  it('promotes an existing account, keeping its password, and its access follows at once', async () => {
    const trader = await createActor(t, 'trader');
    await trader.get('/admin/queues/api/queues').expect(403);
    const result = run(trader.email, 'ignored-for-an-existing-account');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${trader.email} already existed and is now an admin`);
    const login = await request(t.url).post('/api/auth/login').send({ email: trader.email, password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    const [{ role }] = await t.dataSource.query<{ role: string }[]>('SELECT role FROM users WHERE id = $1', [
      trader.id,
    ]);
    expect(role).toBe('admin');
  });
});
