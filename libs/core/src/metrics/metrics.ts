import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  Controller,
  Get,
  Global,
  Header,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Environment } from '../config/environment';
import { DomainError } from '../errors/domain-error';
import { toErrorBody } from '../errors/http-exception.filter';
import { Public } from '../http/public';

/** The process's Prometheus registry; features add their own series to it. */
@Injectable()
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    collectDefaultMetrics({ register: this });
  }
}

@Injectable()
export class HttpMetrics {
  readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(registry: MetricsRegistry) {
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }
}

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetrics],
  exports: [MetricsRegistry, HttpMetrics],
})
export class MetricsModule {}

/**
 * The worker process's own small HTTP server, on WORKER_METRICS_PORT when it is set:
 * `GET /metrics` (the same registry format as the API's) and `GET /health/live`.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server: Server | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('WORKER_METRICS_PORT', { infer: true });
    if (port === undefined) return;
    const server = createServer((request, response) => {
      const path = request.url?.split('?')[0];
      if (request.method !== 'GET' || (path !== '/metrics' && path !== '/health/live')) {
        const body = toErrorBody(
          new DomainError('REQUEST.NOT_FOUND', 'Only /metrics and /health/live', 404),
          randomUUID(),
        );
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      if (path === '/health/live') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.get('HOST', { infer: true }), () => resolve());
    });
    this.server = server;
    const address = server.address();
    this.logger.log(`Metrics on port ${typeof address === 'object' && address ? address.port : port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Metrics for the worker process: the registry, served by WorkerMetricsServer when configured. */
@Global()
@Module({ providers: [MetricsRegistry, WorkerMetricsServer], exports: [MetricsRegistry] })
export class WorkerMetricsModule {}
