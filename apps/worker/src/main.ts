import 'reflect-metadata';
import {
  createLogger,
  describeServices,
  ensureDatabaseExists,
  environmentOrExit,
  PinoNestLogger,
  servicesOrExit,
} from '@itn/core';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const logger = createLogger(environmentOrExit(), 'itn-worker');
  // The worker shares the API's database and queue; it never starts a PostgreSQL of its own.
  const { services } = await servicesOrExit({ embedded: false, log: (line) => logger.info(line) });
  const env = environmentOrExit();
  await ensureDatabaseExists(env.DATABASE_URL);
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  logger.info(`Worker started; ${describeServices(services)}`);
}

void bootstrap();
