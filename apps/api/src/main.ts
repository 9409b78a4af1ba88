import 'reflect-metadata';
import {
  createHttpAdapter,
  createLogger,
  describeServices,
  ensureDatabaseExists,
  environmentOrExit,
  PinoNestLogger,
  servicesOrExit,
  setupApp,
} from '@itn/core';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const logger = createLogger(environmentOrExit(), 'itn-api');
  // Decides the database, queue and rate-limit store (starting an embedded PostgreSQL in
  // development when none answers) before the configuration is read.
  const { services } = await servicesOrExit({ embedded: true, log: (line) => logger.info(line) });
  const env = environmentOrExit();
  if (await ensureDatabaseExists(env.DATABASE_URL)) logger.info('Created the database');
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ workerMode: env.WORKER_MODE, fastPaths: env.FAST_PATHS }),
    createHttpAdapter({ bodyLimitBytes: env.BODY_LIMIT_BYTES, logger }),
    { logger: new PinoNestLogger(logger) },
  );
  await setupApp(app);
  await app.listen(env.PORT, env.HOST);
  logger.info(`API listening on http://localhost:${env.PORT} (docs at /docs); ${describeServices(services)}`);
}

void bootstrap();
