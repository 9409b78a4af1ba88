import { QueryFailedError } from 'typeorm';

export const PgErrorCode = {
  UniqueViolation: '23505',
  ForeignKeyViolation: '23503',
  CheckViolation: '23514',
  NotNullViolation: '23502',
  InvalidTextRepresentation: '22P02',
  NumericValueOutOfRange: '22003',
  QueryCanceled: '57014',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
} as const;

export interface PgErrorInfo {
  code: string;
  constraint?: string;
  detail?: string;
  hint?: string;
}

/** The PostgreSQL error code and constraint behind a failed query, if it was one. */
export function pgError(error: unknown): PgErrorInfo | undefined {
  const driverError = error instanceof QueryFailedError ? (error.driverError as Record<string, unknown>) : error;
  const code = (driverError as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const d = driverError as { constraint?: string; detail?: string; hint?: string };
  return { code, constraint: d.constraint, detail: d.detail, hint: d.hint };
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const info = pgError(error);
  return info?.code === PgErrorCode.UniqueViolation && (constraint === undefined || info.constraint === constraint);
}
