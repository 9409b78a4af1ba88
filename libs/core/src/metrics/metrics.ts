import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Global, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Environment } from '../config/environment';
import { DomainError } from '../errors/domain-error';
import { toErrorBody } from '../errors/http-exception.filter';

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

/**
 * The Prometheus endpoint, on a port of its own (METRICS_PORT, bound to METRICS_HOST,
 * loopback by default) as exporters serve it: per-route traffic, queue depth and socket
 * counts are for the operator's scraper, not for the API's callers. It answers
 * `GET /metrics` and `GET /health/live`, and nothing else.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  /** Where it listens (`http://host:port`), once started; undefined when METRICS_PORT is off. */
  get url(): string | undefined {
    const address = this.server?.address();
    if (!address || typeof address !== 'object') return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('METRICS_PORT', { infer: true });
    if (port === 'off') return;
    const host = this.config.get('METRICS_HOST', { infer: true });
    const server = createServer((request, response) => {
      const path = request.url?.split('?')[0];
      if (request.method !== 'GET' || (path !== '/metrics' && path !== '/health/live')) {
        const body = toErrorBody(
          new DomainError('REQUEST.NOT_FOUND', 'Only GET /metrics and /health/live', 404),
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
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`METRICS_PORT ${port} on ${host} is in use: set METRICS_PORT to another port, 0 or off`)
            : error,
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.logger.log(`Metrics on ${this.url}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Metrics for the API process: the registry, the HTTP series and the server. */
@Global()
@Module({
  providers: [MetricsRegistry, HttpMetrics, MetricsServer],
  exports: [MetricsRegistry, HttpMetrics, MetricsServer],
})
export class MetricsModule {}

/** Metrics for the worker process: the registry and its server, without the HTTP series. */
@Global()
@Module({ providers: [MetricsRegistry, MetricsServer], exports: [MetricsRegistry, MetricsServer] })
export class WorkerMetricsModule {}
