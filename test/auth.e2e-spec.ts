import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { Actor, createActor, TEST_PASSWORD } from './helpers/auth';
import { expectErrorFormat } from './helpers/error-format';
import { createTestApp, TestApp, truncateAll } from './helpers/test-app';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('Auth (e2e)', () => {
  let t: TestApp;
  let admin: Actor;
  let stationA: string;
  let stationB: string;
  const api = () => request(t.url);

  beforeAll(async () => {
    t = await createTestApp();
    await truncateAll(t.dataSource);
    admin = await createActor(t, 'admin');
    const planet = await admin
      .post('/api/planets')
      .send({ name: 'Auth World', position: { x: 0, y: 0, z: 0 } })
      .expect(201);
    const mk = async (code: string) =>
      (
        await admin
          .post('/api/stations')
          .send({ code, name: code, planetId: planet.body.id, storageCapacity: 1000 })
          .expect(201)
      ).body.id as string;
    stationA = await mk('AUTH-A');
    stationB = await mk('AUTH-B');
  });
  afterAll(() => t.close());

  function sign(
    claims: object,
    options: { secret?: string; expiresIn?: number; issuer?: string; audience?: string } = {},
  ) {
    return new JwtService().sign(
      { ...claims },
      {
        secret: options.secret ?? process.env.JWT_SECRET ?? 'dev-only-jwt-secret-change-me-in-production',
        algorithm: 'HS256',
        ...('exp' in claims ? {} : { expiresIn: options.expiresIn ?? 60 }),
        issuer: options.issuer ?? 'itn-api',
        audience: options.audience ?? 'itn-clients',
      },
    );
  }

  describe('register and login', () => {
    it('registers a trader (normalised email, no hash) and logs in', async () => {
      const res = await api()
        .post('/api/auth/register')
        .send({ email: '  New.User@Example.COM ', password: TEST_PASSWORD })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        email: 'new.user@example.com',
        role: 'trader',
        createdAt: expect.any(String),
      });
      const login = await api()
        .post('/api/auth/login')
        .send({ email: 'NEW.USER@example.com', password: TEST_PASSWORD })
        .expect(200);
      expect(login.body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      const me = await api().get('/api/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200);
      expect(me.body).toEqual({ id: res.body.id, email: 'new.user@example.com', role: 'trader', stationIds: [] });
    });

    it('answers 409 with a code for a taken email, whatever its case', async () => {
      await api().post('/api/auth/register').send({ email: 'taken@example.com', password: TEST_PASSWORD }).expect(201);
      const res = await api()
        .post('/api/auth/register')
        .send({ email: 'TAKEN@example.com', password: TEST_PASSWORD })
        .expect(409);
      expectErrorFormat(res.body, 409, 'AUTH.EMAIL_TAKEN');
    });

    it.each([
      ['role in the body', { email: 'r@example.com', password: TEST_PASSWORD, role: 'admin' }],
      ['stationIds in the body', { email: 's@example.com', password: TEST_PASSWORD, stationIds: [] }],
      ['a short password', { email: 'p@example.com', password: 'short' }],
      ['a huge password', { email: 'p@example.com', password: 'x'.repeat(129) }],
      ['a bad email', { email: 'not-an-email', password: TEST_PASSWORD }],
      ['no body', {}],
    ])('refuses %s with 400', async (_name, body) => {
      const res = await api().post('/api/auth/register').send(body).expect(400);
      expectErrorFormat(res.body, 400, 'VALIDATION.FAILED');
    });

    it('refuses a wrong password and an unknown email alike', async () => {
      const wrong = await api()
        .post('/api/auth/login')
        .send({ email: admin.email, password: 'wrong-password!' })
        .expect(401);
      expectErrorFormat(wrong.body, 401, 'AUTH.INVALID_CREDENTIALS');
      const unknown = await api()
        .post('/api/auth/login')
        .send({ email: 'nobody@example.com', password: 'wrong-password!' })
        .expect(401);
      expect(unknown.body.message).toBe(wrong.body.message);
    });
  });

  describe('access tokens', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      ['no token', () => undefined],
      ['a malformed token', () => 'Bearer not.a.jwt'],
      [
        'a token with alg none',
        () =>
          `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: admin.id, role: 'admin', iss: 'itn-api', aud: 'itn-clients', exp: now() + 60 })}.`,
      ],
      [
        'a bad signature',
        () =>
          `Bearer ${sign({ sub: admin.id, role: 'admin' }, { secret: 'another-secret-that-is-long-enough-to-use' })}`,
      ],
      ['an expired token', () => `Bearer ${sign({ sub: admin.id, role: 'admin', exp: now() - 10 })}`],
      ['a wrong issuer', () => `Bearer ${sign({ sub: admin.id, role: 'admin' }, { issuer: 'someone-else' })}`],
      ['a wrong audience', () => `Bearer ${sign({ sub: admin.id, role: 'admin' }, { audience: 'someone-else' })}`],
      ['an unknown role', () => `Bearer ${sign({ sub: admin.id, role: 'emperor' })}`],
      [
        'an HS512 token',
        () => {
          const header = b64({ alg: 'HS512', typ: 'JWT' });
          const payload = b64({ sub: admin.id, role: 'admin', iss: 'itn-api', aud: 'itn-clients', exp: now() + 60 });
          const sig = createHmac('sha512', 'dev-only-jwt-secret-change-me-in-production')
            .update(`${header}.${payload}`)
            .digest('base64url');
          return `Bearer ${header}.${payload}.${sig}`;
        },
      ],
    ])('answers 401 to %s', async (_name, header) => {
      const value = header();
      const req = api().get('/api/auth/me');
      const res = await (value ? req.set('Authorization', value) : req).expect(401);
      expectErrorFormat(res.body, 401);
    });

    it('accepts a well-formed token of ours (control for the cases above)', async () => {
      await api()
        .get('/api/auth/me')
        .set('Authorization', `Bearer ${sign({ sub: admin.id, role: 'admin' })}`)
        .expect(200);
    });

    it('says when a token has expired', async () => {
      const expired = sign({ sub: admin.id, role: 'admin', exp: now() - 10 });
      const res = await api().get('/api/auth/me').set('Authorization', `Bearer ${expired}`).expect(401);
      expect(res.body.code).toBe('AUTH.TOKEN_EXPIRED');
    });

    it('refuses a token it accepted once it has expired (verified tokens are remembered only until then)', async () => {
      const exp = now() + 2;
      const token = sign({ sub: admin.id, role: 'admin', exp });
      await api().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
      await api().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
      await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
      const res = await api().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      expect(res.body.code).toBe('AUTH.TOKEN_EXPIRED');
      // The same signature on other claims is a different string, verified on its own.
      const [header, , signature] = token.split('.');
      const forged = `${header}.${b64({ sub: admin.id, role: 'admin', iss: 'itn-api', aud: 'itn-clients', exp: exp + 3600 })}.${signature}`;
      expectErrorFormat(
        (await api().get('/api/auth/me').set('Authorization', `Bearer ${forged}`).expect(401)).body,
        401,
        'AUTH.UNAUTHORIZED',
      );
    });

    it('protects every route but register, login, refresh, health and docs', async () => {
      for (const path of [
        '/api/planets',
        '/api/stations',
        '/api/commodities',
        '/api/auth/me',
        `/api/stations/${stationA}/members`,
      ]) {
        expectErrorFormat((await api().get(path).expect(401)).body, 401);
      }
      await api().get('/health/live').expect(200);
      await api().get('/docs-json').expect(200);
    });
  });

  describe('refresh rotation', () => {
    it('rotates, and a reused refresh token is refused and kills its family', async () => {
      const user = await createActor(t, 'trader');
      const first = await api().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
      expect(first.body.refreshToken).not.toBe(user.refreshToken);
      const second = await api().post('/api/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(200);

      const reuse = await api().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
      expectErrorFormat(reuse.body, 401, 'AUTH.REFRESH_TOKEN_REUSED');
      // The newest token of the family is dead too.
      const after = await api().post('/api/auth/refresh').send({ refreshToken: second.body.refreshToken }).expect(401);
      expectErrorFormat(after.body, 401);
    });

    it('leaves other logins of the same user alive when one family dies', async () => {
      const user = await createActor(t, 'trader');
      const other = await api()
        .post('/api/auth/login')
        .send({ email: user.email, password: TEST_PASSWORD })
        .expect(200);
      await api().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
      await api().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
      await api().post('/api/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(200);
    });

    it('refuses forged and malformed refresh tokens', async () => {
      const user = await createActor(t, 'trader');
      const [id] = user.refreshToken.split('.');
      const forged = `${id}.${'A'.repeat(43)}`;
      expectErrorFormat((await api().post('/api/auth/refresh').send({ refreshToken: forged }).expect(401)).body, 401);
      expectErrorFormat(
        (await api().post('/api/auth/refresh').send({ refreshToken: 'garbage' }).expect(400)).body,
        400,
      );
      // The forged attempt did not hurt the real token.
      await api().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    });

    it('logout revokes the family', async () => {
      const user = await createActor(t, 'trader');
      await user.post('/api/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
      expectErrorFormat(
        (await api().post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401)).body,
        401,
      );
    });

    it("logout refuses somebody else's refresh token", async () => {
      const a = await createActor(t, 'trader');
      const b = await createActor(t, 'trader');
      await a.post('/api/auth/logout').send({ refreshToken: b.refreshToken }).expect(401);
      await api().post('/api/auth/refresh').send({ refreshToken: b.refreshToken }).expect(200);
    });
  });

  describe('roles and station membership', () => {
    it('refuses a trader on admin routes with 403', async () => {
      const trader = await createActor(t, 'trader');
      const res = await trader
        .post('/api/planets')
        .send({ name: 'Nope', position: { x: 0, y: 0, z: 0 } })
        .expect(403);
      expectErrorFormat(res.body, 403, 'AUTH.FORBIDDEN');
      await trader.post('/api/commodities').send({ sku: 'NOPE-1', name: 'n', unitVolume: 1, unitMass: 1 }).expect(403);
      await trader.post(`/api/stations/${stationA}/members`).send({ userId: trader.id }).expect(403);
      // Reads are open to every signed-in user.
      await trader.get('/api/stations').expect(200);
    });

    it('admins grant and remove membership; /me lists the stations', async () => {
      const trader = await createActor(t, 'trader');
      const added = await admin.post(`/api/stations/${stationA}/members`).send({ userId: trader.id }).expect(201);
      expect(added.body).toMatchObject({ stationId: stationA, userId: trader.id, email: trader.email, role: 'trader' });
      expect((await trader.get('/api/auth/me').expect(200)).body.stationIds).toEqual([stationA]);
      expectErrorFormat(
        (await admin.post(`/api/stations/${stationA}/members`).send({ userId: trader.id }).expect(409)).body,
        409,
        'AUTH.ALREADY_MEMBER',
      );
      await admin.delete(`/api/stations/${stationA}/members/${trader.id}`).expect(204);
      expect((await trader.get('/api/auth/me').expect(200)).body.stationIds).toEqual([]);
      await admin.delete(`/api/stations/${stationA}/members/${trader.id}`).expect(404);
    });

    it('answers 404 for an unknown station or user and 400 for bad ids', async () => {
      const trader = await createActor(t, 'trader');
      const ghost = '01900000-0000-7000-8000-000000000000';
      expectErrorFormat(
        (await admin.post(`/api/stations/${ghost}/members`).send({ userId: trader.id }).expect(404)).body,
        404,
        'CATALOG.STATION_NOT_FOUND',
      );
      expectErrorFormat(
        (await admin.post(`/api/stations/${stationA}/members`).send({ userId: ghost }).expect(404)).body,
        404,
        'AUTH.USER_NOT_FOUND',
      );
      expectErrorFormat(
        (await admin.post(`/api/stations/${stationA}/members`).send({ userId: 'x' }).expect(400)).body,
        400,
      );
      expectErrorFormat(
        (await admin.post(`/api/stations/nope/members`).send({ userId: trader.id }).expect(400)).body,
        400,
      );
    });

    it('lets a member read their station and refuses another station with 403', async () => {
      const trader = await createActor(t, 'trader', [stationA]);
      const members = await trader.get(`/api/stations/${stationA}/members`).expect(200);
      expect(members.body.map((m: { userId: string }) => m.userId)).toContain(trader.id);
      const res = await trader.get(`/api/stations/${stationB}/members`).expect(403);
      expectErrorFormat(res.body, 403, 'AUTH.STATION_FORBIDDEN');
      // A station that does not exist looks the same to a trader: no existence leak.
      const ghost = await trader.get('/api/stations/01900000-0000-7000-8000-000000000000/members').expect(403);
      expect(ghost.body.code).toBe('AUTH.STATION_FORBIDDEN');
      await admin.get(`/api/stations/${stationB}/members`).expect(200);
    });
  });

  it('never returns a password or token hash', async () => {
    const trader = await createActor(t, 'trader', [stationA]);
    const bodies = [
      (await trader.get('/api/auth/me')).text,
      (await admin.get(`/api/stations/${stationA}/members`)).text,
      (await api().post('/api/auth/register').send({ email: 'plain@example.com', password: TEST_PASSWORD })).text,
      (await api().post('/api/auth/login').send({ email: trader.email, password: TEST_PASSWORD })).text,
    ];
    for (const body of bodies) {
      expect(body).not.toMatch(/\$argon2|password|hash/i);
    }
  });
});

describe('Auth rate limits (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH_RATE_LIMIT_MAX: '5' });
  });
  afterAll(() => t.close());

  it('answers login brute force with 429, Retry-After and the error format', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 8; i++) {
      last = await request(t.url)
        .post('/api/auth/login')
        .send({ email: 'victim@example.com', password: `guess-number-${i}` });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expectErrorFormat(last!.body, 429, 'REQUEST.RATE_LIMITED');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });
});
