import { ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';

/** Validates a UUID path parameter; a malformed id is a 400 in the error format. */
export const UuidParam = new ParseUUIDPipe({
  exceptionFactory: () => new DomainError('REQUEST.INVALID_ID', 'The id in the path is not a valid UUID'),
});
