import { RequestMethod, ValidationError, ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorResponseDto } from '../errors/error-response.dto';
import { FieldError, HttpExceptionFilter, RequestValidationError } from '../errors/http-exception.filter';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';

export interface HttpAdapterOptions {
  bodyLimitBytes: number;
}

export function createHttpAdapter(options: HttpAdapterOptions): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    genReqId: requestIdFor,
    requestIdHeader: false,
    trustProxy: false,
    routerOptions: { maxParamLength: 200 },
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

/**
 * Applies the whole HTTP configuration: prefix, validation, error format, request ids,
 * Swagger and shutdown hooks. Used by main.ts and by the e2e app factory alike.
 */
export function setupApp(app: NestFastifyApplication): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  app.setGlobalPrefix('api', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(validationPipe);
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();

  const swaggerConfig = new DocumentBuilder()
    .setTitle('Intergalactic Trade Network')
    .setDescription(
      'Trade, cargo and inventory between space stations. Errors share one format: ' +
        '`{statusCode, code, message, details?, requestId}`. Lists answer `{items, nextCursor}`; ' +
        'pass `nextCursor` back as `cursor` for the next page.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, swaggerConfig, { extraModels: [ErrorResponseDto] });
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    useGlobalPrefix: false,
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}
