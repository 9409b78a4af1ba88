import { ArgumentMetadata, ParseUUIDPipe, PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { DomainError } from '../errors/domain-error';

const parseUuid = new ParseUUIDPipe({
  exceptionFactory: () => new DomainError('REQUEST.INVALID_ID', 'The id in the path is not a valid UUID'),
});

/**
 * Validates a UUID path parameter (a malformed id is a 400 in the error format) and answers it
 * in lower case, the form PostgreSQL returns: ids are compared and used as keys as strings.
 */
export const UuidParam: PipeTransform<string, Promise<string>> = {
  async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    return ((await parseUuid.transform(value, metadata)) ?? value).toLowerCase();
  },
};

/** For a UUID field of a request body or query: its lower-case form (see UuidParam). */
export const LowerCaseUuid = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value));

/** A UUID, in either case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The canonical (lower-case) form of a UUID, or undefined when the value is not one: for ids
 * that arrive outside the validation pipes (socket messages, token claims).
 */
export function canonicalUuid(value: unknown): string | undefined {
  return typeof value === 'string' && UUID_PATTERN.test(value) ? value.toLowerCase() : undefined;
}
