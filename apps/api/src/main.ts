import 'reflect-metadata';
import {
  createHttpAdapter,
  ensureDatabaseExists,
  Environment,
  nestLogLevels,
  setupApp,
  validateEnvironment,
} from '@itn/core';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  let env: Environment;
  try {
    env = validateEnvironment(process.env);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
  if (await ensureDatabaseExists(env.DATABASE_URL)) Logger.log('Created the database', 'Bootstrap');
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ workerMode: env.WORKER_MODE }),
    createHttpAdapter({ bodyLimitBytes: env.BODY_LIMIT_BYTES }),
    { logger: nestLogLevels(env.LOG_LEVEL) },
  );
  setupApp(app);
  await app.listen(env.PORT, env.HOST);
  Logger.log(`API listening on http://localhost:${env.PORT} (docs at /docs)`, 'Bootstrap');
}

void bootstrap();
