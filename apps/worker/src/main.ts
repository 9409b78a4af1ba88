import 'reflect-metadata';
import { ensureDatabaseExists, nestLogLevels, validateEnvironment } from '@itn/core';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  let env;
  try {
    env = validateEnvironment(process.env);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
  await ensureDatabaseExists(env.DATABASE_URL);
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: nestLogLevels(env.LOG_LEVEL) });
  app.enableShutdownHooks();
  Logger.log('Worker started', 'Bootstrap');
}

void bootstrap();
