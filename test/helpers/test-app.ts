import { AppModule } from '../../apps/api/src/app.module';
import {
  createHttpAdapter,
  createLogger,
  MetricsServer,
  PinoNestLogger,
  REDIS,
  setupApp,
  validateEnvironment,
} from '@itn/core';
import type Redis from 'ioredis';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { applyTestEnvironment } from './test-env';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the listening server, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Base URL of its metrics server (GET /metrics), on a port of its own. */
  readonly metricsUrl: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** Boots the real API (same setupApp as main.ts) on a random local port. */
export async function createTestApp(
  env: Record<string, string> = {},
  options: { logTo?: { write(line: string): void } } = {},
): Promise<TestApp> {
  applyTestEnvironment();
  const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const restoreEnv = () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const config = validateEnvironment(process.env);
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ workerMode: config.WORKER_MODE, fastPaths: config.FAST_PATHS })],
  }).compile();
  const logger = createLogger(config, 'itn-test', options.logTo);
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createHttpAdapter({ bodyLimitBytes: config.BODY_LIMIT_BYTES, logger }),
    { logger: new PinoNestLogger(logger) },
  );
  await setupApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const redis = app.get<Redis | null>(REDIS);
  const keys = redis ? await redis.keys('itn:throttle:*') : [];
  if (redis && keys.length > 0) await redis.del(...keys); // counters of earlier test apps
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    get metricsUrl() {
      const url = app.get(MetricsServer).url;
      if (url === undefined) throw new Error('This test app runs with METRICS_PORT=off');
      return url;
    },
    dataSource: app.get(DataSource),
    close: async () => {
      await app.close();
      restoreEnv();
    },
  };
}

/** Empties every table but the migrations history, for test files that need a clean slate. */
export async function truncateAll(dataSource: DataSource): Promise<void> {
  const tables = await dataSource.query<{ tablename: string }[]>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations'`,
  );
  if (tables.length === 0) return;
  // The app's own relay may be reading the log; TRUNCATE can deadlock with it, so retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await dataSource.query(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
      return;
    } catch (e) {
      if ((e as { driverError?: { code?: string } }).driverError?.code !== '40P01' || attempt >= 5) throw e;
    }
  }
}
