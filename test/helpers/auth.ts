import { AuthService, Role } from '@itn/auth';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { TestApp } from './test-app';

export const TEST_PASSWORD = 'correct-horse-battery';

export interface Actor {
  id: string;
  email: string;
  role: Role;
  accessToken: string;
  refreshToken: string;
  get(path: string): request.Test;
  post(path: string): request.Test;
  delete(path: string): request.Test;
}

/** Makes a user directly, makes them a member of `stationIds`, and logs in through the API. */
export async function createActor(t: TestApp, role: Role, stationIds: string[] = []): Promise<Actor> {
  const email = `${role}-${randomUUID()}@test.local`;
  const user = await t.app.get(AuthService).createUser(email, TEST_PASSWORD, role);
  for (const stationId of stationIds) {
    await t.dataSource.query('INSERT INTO station_members (station_id, user_id) VALUES ($1, $2)', [stationId, user.id]);
  }
  const login = await request(t.url).post('/api/auth/login').send({ email, password: TEST_PASSWORD }).expect(200);
  const { accessToken, refreshToken } = login.body as { accessToken: string; refreshToken: string };
  const auth = (req: request.Test) => req.set('Authorization', `Bearer ${accessToken}`);
  return {
    id: user.id,
    email,
    role,
    accessToken,
    refreshToken,
    get: (path) => auth(request(t.url).get(path)),
    post: (path) => auth(request(t.url).post(path)),
    delete: (path) => auth(request(t.url).delete(path)),
  };
}
