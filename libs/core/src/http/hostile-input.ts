import { HttpStatus } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { RequestValidationError } from '../errors/http-exception.filter';

/**
 * Deepest nesting of arrays and objects a JSON body may have. The deepest request the API
 * takes is 3 levels (a trade's lines); past the limit the body is refused before it is
 * parsed, so that nothing downstream (validation, logging) recurses through it.
 */
export const MAX_JSON_DEPTH = 20;

export class JsonTooDeepError extends DomainError {
  constructor() {
    super('REQUEST.TOO_DEEP', `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, HttpStatus.BAD_REQUEST);
  }
}

/**
 * Most fields an object of a request may have, and most elements of an array: the largest
 * request the API takes has 9 fields and 50 lines. Validation costs time for every field it
 * refuses, so a body of thousands of keys is refused before it is validated.
 */
export const MAX_JSON_KEYS = 64;
export const MAX_JSON_ITEMS = 100;

export class JsonTooLargeError extends DomainError {
  constructor(field: string, what: string) {
    super(
      'REQUEST.TOO_COMPLEX',
      `${field} has ${what} (at most ${MAX_JSON_KEYS} fields per object and ${MAX_JSON_ITEMS} items per list)`,
      HttpStatus.BAD_REQUEST,
      { field },
    );
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Whether JSON text opens more than `limit` arrays or objects inside each other (one pass, no parsing). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** Why a string may not be stored as text: PostgreSQL refuses NUL, and a lone surrogate is no character. */
function textFault(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (!value.isWellFormed()) return 'must be valid Unicode text (no lone surrogates)';
  return undefined;
}

/**
 * The first fault of a parsed input, in one walk: an object of more than MAX_JSON_KEYS fields
 * or a list of more than MAX_JSON_ITEMS items (checked before its contents are walked), or a
 * string (key or value) that is not valid text, named by the path of its field in the form the
 * validation errors use (`items.0.reason`; `root` for the input itself). Nesting is bounded
 * before this is called (nestsDeeperThan).
 */
export function findInputFault(value: unknown, field = '', root = 'body'): DomainError | undefined {
  if (typeof value === 'string') {
    const error = textFault(value);
    return error === undefined ? undefined : new RequestValidationError([{ field: field || root, errors: [error] }]);
  }
  if (value === null || typeof value !== 'object') return undefined;
  const entries = Object.entries(value);
  if (Array.isArray(value) && value.length > MAX_JSON_ITEMS) {
    return new JsonTooLargeError(field || root, `${value.length} items`);
  }
  if (!Array.isArray(value) && entries.length > MAX_JSON_KEYS) {
    return new JsonTooLargeError(field || root, `${entries.length} fields`);
  }
  for (const [key, inner] of entries) {
    const path = field ? `${field}.${key}` : key;
    const keyError = textFault(key);
    if (keyError !== undefined) {
      return new RequestValidationError([{ field: path, errors: [`has a name that ${keyError}`] }]);
    }
    const found = findInputFault(inner, path, root);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses hostile input before anything reads it: JSON nested deeper than MAX_JSON_DEPTH
 * (400 `REQUEST.TOO_DEEP`, before parsing), objects and lists larger than any request has (400
 * `REQUEST.TOO_COMPLEX`, before validation), and NUL characters or broken Unicode in any string
 * of the body, the query or the path (400 `VALIDATION.FAILED` naming the field), which
 * PostgreSQL would otherwise refuse mid-request.
 */
export function installInputChecks(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: fastify.initialConfig.bodyLimit }, (request, body, done) => {
    const text = body.toString('utf8');
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return done(new JsonTooDeepError(), undefined);
    void parseJson(request as FastifyRequest, text, done);
  });
  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: (e?: Error) => void) => {
    const fault =
      findInputFault(request.params, '', 'params') ??
      findInputFault(request.query, '', 'query') ??
      findInputFault(request.body);
    done(fault);
  });
}
