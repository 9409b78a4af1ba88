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
    const { user, created } = await app.get(AuthService).ensureAdmin(env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
    console.log(
      created ? `Created admin ${user.email} (${user.id})` : `${user.email} already existed and is now an admin`,
    );
  } finally {
    await app.close();
    await runtime.stop();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
