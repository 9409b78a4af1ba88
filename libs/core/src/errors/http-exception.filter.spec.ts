import {
  BadRequestException,
  ForbiddenException,
  HttpStatus,
  InternalServerErrorException,
  Logger,
} from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DomainError } from './domain-error';
import { toErrorBody } from './http-exception.filter';

describe(toErrorBody.name, () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));

  it("keeps a domain error's code, status, message and details", () => {
    const body = toErrorBody(new DomainError('X.Y', 'nope', HttpStatus.CONFLICT, { a: 1 }), 'rid');
    expect(body).toEqual({ statusCode: 409, code: 'X.Y', message: 'nope', details: { a: 1 }, requestId: 'rid' });
  });

  it('gives Nest HTTP exceptions a generic code', () => {
    expect(toErrorBody(new ForbiddenException(), 'rid')).toMatchObject({ statusCode: 403, code: 'AUTH.FORBIDDEN' });
    expect(toErrorBody(new BadRequestException(['a', 'b']), 'rid')).toMatchObject({ statusCode: 400, message: 'a; b' });
  });

  it('hides everything about unexpected errors', () => {
    const body = toErrorBody(new Error('SELECT secret FROM vault'), 'rid');
    expect(body).toEqual({ statusCode: 500, code: 'INTERNAL', message: 'Internal server error', requestId: 'rid' });
    expect(toErrorBody(new InternalServerErrorException('db password is hunter2'), 'rid').message).toBe(
      'Internal server error',
    );
  });

  it('maps Fastify client errors and keeps their status', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(toErrorBody(tooLarge, 'rid')).toMatchObject({ statusCode: 413, code: 'REQUEST.PAYLOAD_TOO_LARGE' });
  });

  it('translates untranslated database errors without leaking SQL', () => {
    const unique = new QueryFailedError('INSERT INTO t', [], Object.assign(new Error('dup'), { code: '23505' }));
    expect(toErrorBody(unique, 'rid')).toEqual({
      statusCode: 409,
      code: 'REQUEST.CONFLICT',
      message: expect.any(String),
      requestId: 'rid',
    });
    const timeout = new QueryFailedError('SELECT', [], Object.assign(new Error('canceled'), { code: '57014' }));
    expect(toErrorBody(timeout, 'rid')).toMatchObject({ statusCode: 503, code: 'SERVICE.TIMEOUT' });
  });

  it('answers every data exception of PostgreSQL (class 22) with 400', () => {
    for (const code of ['22021', '22P05', '22007', '22008', '22001', '2200H']) {
      const error = new QueryFailedError('INSERT', [], Object.assign(new Error('bad value'), { code }));
      expect(toErrorBody(error, 'rid')).toEqual({
        statusCode: 400,
        code: 'REQUEST.BAD_REQUEST',
        message: expect.any(String),
        requestId: 'rid',
      });
    }
  });
});
