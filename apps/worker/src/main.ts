import 'reflect-metadata';
import { createLogger, ensureDatabaseExists, environmentOrExit, PinoNestLogger } from '@itn/core';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const env = environmentOrExit();
  const logger = createLogger(env, 'itn-worker');
  await ensureDatabaseExists(env.DATABASE_URL);
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  logger.info('Worker started');
}

void bootstrap();
