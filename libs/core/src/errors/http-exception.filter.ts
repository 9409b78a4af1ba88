import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pgError, PgErrorCode } from '../database/pg-errors';
import { DomainError } from './domain-error';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
  requestId: string;
}

export interface FieldError {
  field: string;
  errors: string[];
}

/** Raised by the global ValidationPipe; carries the failing fields. */
export class RequestValidationError extends DomainError {
  constructor(details: FieldError[]) {
    super('VALIDATION.FAILED', 'The request is invalid', HttpStatus.BAD_REQUEST, details);
  }
}

const GENERIC_CODES: Record<number, string> = {
  400: 'REQUEST.BAD_REQUEST',
  401: 'AUTH.UNAUTHORIZED',
  403: 'AUTH.FORBIDDEN',
  404: 'REQUEST.NOT_FOUND',
  405: 'REQUEST.METHOD_NOT_ALLOWED',
  406: 'REQUEST.NOT_ACCEPTABLE',
  409: 'REQUEST.CONFLICT',
  413: 'REQUEST.PAYLOAD_TOO_LARGE',
  414: 'REQUEST.URI_TOO_LONG',
  415: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  422: 'REQUEST.UNPROCESSABLE',
  429: 'REQUEST.RATE_LIMITED',
  503: 'SERVICE.UNAVAILABLE',
};

function genericCode(status: number): string {
  return GENERIC_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'REQUEST.ERROR');
}

/** Errors that Fastify raises itself (bad JSON, body too large, unsupported media type). */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

function isClientFastifyError(e: unknown): e is FastifyLikeError {
  const status = (e as FastifyLikeError | null)?.statusCode;
  return (
    typeof status === 'number' && status >= 400 && status < 500 && typeof (e as FastifyLikeError).code === 'string'
  );
}

const logger = new Logger('Errors');

/** Maps anything thrown to the error body; 5xx bodies carry only the request id. */
export function toErrorBody(exception: unknown, requestId: string): ErrorBody {
  if (exception instanceof DomainError) {
    if (Number(exception.status) >= 500 && exception.code !== 'SERVICE.SHUTTING_DOWN') {
      return internal(exception, requestId, exception.status);
    }
    return {
      statusCode: exception.status,
      code: exception.code,
      message: exception.message,
      ...(exception.details === undefined ? {} : { details: exception.details }),
      requestId,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const r = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    if (status === 503 && typeof r.error === 'object') {
      // A failed readiness check: say which dependency is down, nothing more.
      return {
        statusCode: 503,
        code: 'SERVICE.UNAVAILABLE',
        message: 'Service unavailable',
        details: r.error,
        requestId,
      };
    }
    if (status >= 500) return internal(exception, requestId, status);
    const message =
      typeof response === 'string'
        ? response
        : typeof r.message === 'string'
          ? r.message
          : Array.isArray(r.message)
            ? r.message.join('; ')
            : exception.message;
    const code = typeof r.code === 'string' ? r.code : genericCode(status);
    return { statusCode: status, code, message, requestId };
  }
  if (isClientFastifyError(exception)) {
    const status = exception.statusCode!;
    return {
      statusCode: status,
      code: genericCode(status),
      message: status === 413 ? 'Request body is too large' : (exception.message ?? 'Bad request'),
      requestId,
    };
  }
  const pg = pgError(exception);
  if (pg) {
    const mapped = PG_ERRORS[pg.code] ?? (pg.code.startsWith(PG_DATA_EXCEPTION_CLASS) ? PG_DATA_EXCEPTION : undefined);
    if (mapped) return { statusCode: mapped[0], code: mapped[1], message: mapped[2], requestId };
  }
  return internal(exception, requestId, HttpStatus.INTERNAL_SERVER_ERROR);
}

/** Safety net for database errors a service did not translate; never leaks SQL. */
const PG_ERRORS: Record<string, [number, string, string]> = {
  [PgErrorCode.UniqueViolation]: [409, 'REQUEST.CONFLICT', 'The resource already exists'],
  [PgErrorCode.ForeignKeyViolation]: [409, 'REQUEST.CONFLICT', 'A referenced resource does not exist or is in use'],
  [PgErrorCode.CheckViolation]: [409, 'REQUEST.CONFLICT', 'The change would break a constraint'],
  [PgErrorCode.NotNullViolation]: [400, 'REQUEST.BAD_REQUEST', 'A required value is missing'],
  [PgErrorCode.InvalidTextRepresentation]: [400, 'REQUEST.BAD_REQUEST', 'A value has the wrong format'],
  [PgErrorCode.NumericValueOutOfRange]: [400, 'REQUEST.BAD_REQUEST', 'A value is out of range'],
  [PgErrorCode.QueryCanceled]: [503, 'SERVICE.TIMEOUT', 'The request took too long; try again'],
  [PgErrorCode.SerializationFailure]: [503, 'SERVICE.BUSY', 'The request conflicted with another; try again'],
  [PgErrorCode.DeadlockDetected]: [503, 'SERVICE.BUSY', 'The request conflicted with another; try again'],
};

/** Class 22 (data exception): a value PostgreSQL cannot take, which no input should turn into a 500. */
const PG_DATA_EXCEPTION_CLASS = '22';
const PG_DATA_EXCEPTION: [number, string, string] = [400, 'REQUEST.BAD_REQUEST', 'A value cannot be stored as given'];

function internal(exception: unknown, requestId: string, status: number): ErrorBody {
  logger.error({ requestId, err: exception }, (exception as Error)?.stack ?? String(exception));
  return {
    statusCode: status,
    code: genericCode(status),
    message: status === 503 ? 'Service unavailable' : 'Internal server error',
    requestId,
  };
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const body = toErrorBody(exception, String(request.id));
    if (exception instanceof HttpException) {
      const retryAfter = (exception.getResponse() as { retryAfter?: number } | null)?.retryAfter;
      if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
    }
    void reply.status(body.statusCode).send(body);
  }
}
