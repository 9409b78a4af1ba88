import 'reflect-metadata';
import { AuthModule, AuthService } from '@itn/auth';
import {
  AppConfigModule,
  DatabaseModule,
  ensureDatabaseExists,
  RedisModule,
  resolveRuntimeServices,
  validateEnvironment,
} from '@itn/core';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';

@Module({ imports: [AppConfigModule, DatabaseModule, RedisModule, AuthModule] })
class CreateAdminModule {}

/**
 * Creates an admin on a real deployment: `ADMIN_EMAIL=... ADMIN_PASSWORD=... npm run create-admin`.
 * An existing account with that email is promoted to admin (its password is left as it is).
 */
async function main(): Promise<void> {
  // The same database the service would use: in development, the embedded one (while the service is stopped).
  const runtime = await resolveRuntimeServices(process.env, { embedded: true, log: (line) => console.log(line) });
  const env = validateEnvironment(process.env);
  await ensureDatabaseExists(env.DATABASE_URL);
  const app = await NestFactory.createApplicationContext(CreateAdminModule, { logger: ['error'] });
  try {
    const email = env.ADMIN_EMAIL.toLowerCase();
    const [, promoted] = await app
      .get(DataSource)
      .query<[unknown[], number]>(`UPDATE users SET role = 'admin' WHERE email = $1`, [email]);
    if (promoted > 0) {
      console.log(`${email} already existed and is now an admin`);
    } else {
      const user = await app.get(AuthService).createUser(email, env.ADMIN_PASSWORD, 'admin');
      console.log(`Created admin ${user.email} (${user.id})`);
    }
  } finally {
    await app.close();
    await runtime.stop();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
