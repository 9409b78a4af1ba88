import helmet, { type HelmetOptions } from 'helmet';
import { HttpStatus, RequestMethod, ValidationError, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { Environment } from '../config/environment';
import { ErrorResponseDto } from '../errors/error-response.dto';
import { DomainError } from '../errors/domain-error';
import { FieldError, HttpExceptionFilter, RequestValidationError, toErrorBody } from '../errors/http-exception.filter';
import { RequestLogger } from '../logging/request-logger';
import { HttpMetrics } from '../metrics/metrics';
import { countUnroutedRequest, RateLimiter } from './rate-limit';
import { RateLimitedIoAdapter } from './rate-limited-io.adapter';
import { installInputChecks } from './hostile-input';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';
import { HttpFastPaths } from './http-fast-paths';
import { ShutdownState } from './shutdown';

export interface HttpAdapterOptions {
  bodyLimitBytes: number;
  logger: Logger;
}

/**
 * Fastify reports errors raised before a route handler runs (bad JSON, body too large,
 * unsupported media type) to the error handler its routes captured when registered, so
 * setupApp installs one that speaks the error format before any route exists, and Nest's
 * later replacement is declined.
 */
class ItnFastifyAdapter extends FastifyAdapter {
  override setErrorHandler: FastifyAdapter['setErrorHandler'] = () => this.getInstance<FastifyInstance>();
}

export function createHttpAdapter(options: HttpAdapterOptions): FastifyAdapter {
  return new ItnFastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    genReqId: requestIdFor,
    requestIdHeader: false,
    trustProxy: false,
    // During shutdown, ShutdownState answers new requests with a 503 in the error format.
    return503OnClosing: false,
    loggerInstance: options.logger,
    // One line per request is written in onResponse below, with the user and the latency.
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is made on first use; most requests never log a line.
    childLoggerFactory: RequestLogger.factory,
    routerOptions: { maxParamLength: 200 },
    // Errors of the router itself (a path parameter too long, a malformed URL), which no hook
    // sees: counted by the rate limiter here.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      countUnroutedRequest(request, reply, () => {
        const body = toErrorBody(error, String(request.id));
        void reply.status(body.statusCode).send(body);
      });
    },
  });
}

function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, errors: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

export const validationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
});

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      // Swagger UI needs inline scripts and styles; everything else is same-origin.
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", 'ws:', 'wss:'],
      // Served over plain HTTP on localhost in development; TLS is the proxy's business.
      upgradeInsecureRequests: null,
    },
  },
  crossOriginResourcePolicy: { policy: 'same-site' },
};

/**
 * Helmet's security headers, computed once: they do not depend on the request, and
 * computing them per request (as its Fastify plugin does) cost more than serving a cached
 * inventory.
 */
function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => void (headers[name] = String(value)),
    removeHeader: (name: string) => void delete headers[name],
  };
  helmet(options)({} as never, response as never, () => undefined);
  // In lower case, as Fastify keeps them: it lower-cases every name it is given, per request.
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

const SECURITY_HEADERS = securityHeaders(HELMET_OPTIONS);

/** The prefix of every API route (not of health and the queue board). */
export const API_PREFIX = 'api';

const NOT_PREFIXED = [
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'health/ready', method: RequestMethod.GET },
  { path: 'admin/queues', method: RequestMethod.GET },
];

/**
 * A provider of the app, or undefined when its modules do not provide one. Asked of a ModuleRef:
 * the app's own get is wrapped by NestFactory so that a missing provider aborts the process.
 */
function optionalProvider<T>(app: NestFastifyApplication, type: abstract new (...args: never[]) => T): T | undefined {
  try {
    return app.get(ModuleRef).get<T>(type, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Applies the whole HTTP configuration: security headers, CORS, prefix, validation, error
 * format, request ids, per-request log and metrics, Swagger and shutdown hooks. Used by
 * main.ts and by the e2e app factory alike.
 */
export async function setupApp(app: NestFastifyApplication): Promise<NestFastifyApplication> {
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  const fastify = app.getHttpAdapter().getInstance();
  const httpMetrics = app.get(HttpMetrics, { strict: false });
  const shutdown = app.get(ShutdownState, { strict: false });
  const rateLimiter = app.get(RateLimiter, { strict: false });

  app.enableCors({
    origin: config.get('CORS_ORIGINS', { infer: true }),
    // After routing, before the body is parsed: bad bodies still answer with CORS headers,
    // and @fastify/cors runs as a plain hook (on onRequest, Nest wraps it to copy its
    // headers for middleware-ended responses, which this app does not have).
    hook: 'preParsing',
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'If-None-Match',
      'Last-Event-ID',
      'X-Request-Id',
    ],
    // One string: a list would be joined again on every request.
    exposedHeaders: [
      'ETag',
      'X-Request-Id',
      'Retry-After',
      'Idempotent-Replayed',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ].join(', '),
    maxAge: 600,
  });

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    void reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
    if (!shutdown.closing) return done();
    const body = toErrorBody(
      new DomainError(
        'SERVICE.SHUTTING_DOWN',
        'The service is restarting; retry shortly',
        HttpStatus.SERVICE_UNAVAILABLE,
      ),
      String(request.id),
    );
    void reply.header('Connection', 'close').header('Retry-After', '1').status(503).send(body);
  });
  // Every request (but those answered 503 above) is counted when it arrives, before anything
  // else may refuse it; a 429 goes out after the CORS hook, so that browsers can read it.
  rateLimiter.install(fastify);
  installInputChecks(app);
  app.useWebSocketAdapter(
    new RateLimitedIoAdapter(app, rateLimiter, config.get('SOCKET_MAX_PER_ADDRESS', { infer: true })),
  );
  fastify.setErrorHandler((error, request, reply) => {
    const body = toErrorBody(error, String(request.id));
    void reply.status(body.statusCode).send(body);
  });
  // The measured shortcuts, when this app has them (FAST_PATHS): after every check above.
  optionalProvider(app, HttpFastPaths)?.install(fastify);
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpMetrics.requestDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if ((request.log as Logger).isLevelEnabled('info')) {
      const user = (request as FastifyRequest & { user?: { id: string } }).user;
      request.log.info(
        {
          userId: user?.id,
          method: request.method,
          route,
          statusCode: reply.statusCode,
          latencyMs: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request',
      );
    }
    done();
  });

  app.setGlobalPrefix(API_PREFIX, { exclude: NOT_PREFIXED });
  app.useGlobalPipes(validationPipe);
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();

  const swaggerConfig = new DocumentBuilder()
    .setTitle('Intergalactic Trade Network')
    .setDescription(
      'Trade, cargo and inventory between space stations. Errors share one format: ' +
        '`{statusCode, code, message, details?, requestId}`. Lists answer `{items, nextCursor}`; ' +
        'pass `nextCursor` back as `cursor` for the next page. Live updates: Socket.IO on `/socket.io` ' +
        '(see the README) or `GET /api/updates/real-time` as SSE. Rate limits: every request but ' +
        'the health probes counts, whatever its answer, in one budget per caller shared by all routes ' +
        '(per user with a valid access token, else per address); login, register and refresh also ' +
        'share a stricter budget per address. Past a budget: 429 `REQUEST.RATE_LIMITED` with ' +
        '`Retry-After`; answers carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addGlobalResponse({
      status: 429,
      description: 'Too many requests (on every route but /health/*); see Retry-After',
      type: ErrorResponseDto,
    })
    .build();
  const document = SwaggerModule.createDocument(app, swaggerConfig, { extraModels: [ErrorResponseDto] });
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    useGlobalPrefix: false,
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}
