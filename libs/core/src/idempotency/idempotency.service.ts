import { createHash } from 'node:crypto';
import { HttpStatus, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError, DomainError, UnprocessableError } from '../errors/domain-error';
import { ErrorBody, toErrorBody } from '../errors/http-exception.filter';
import { Housekeeping } from '../database/housekeeping';

/** How long a key and its first response are kept. */
export const IDEMPOTENCY_TTL_HOURS = 24;

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentResult<T> {
  status: number;
  body: T | ErrorBody;
  replayed: boolean;
}

export interface IdempotentRequest {
  userId: string;
  /** The Idempotency-Key header, if the client sent one. */
  key: string | undefined;
  /** What the key is used for, e.g. `POST /api/trades`; part of the fingerprint. */
  scope: string;
  body: unknown;
  requestId: string;
  successStatus: number;
  /**
   * The work is one statement, atomic on its own: without a key it runs outside a transaction
   * (on the data source's manager), which saves the round trips of BEGIN and COMMIT.
   */
  singleStatement?: boolean;
}

/** JSON with object keys sorted, so equal bodies have equal fingerprints. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Idempotency keys with Stripe's semantics, scoped per user, stored in the same transaction
 * as the work they protect: the same key and body replay the first response (success or
 * business error); the same key with another body is 422; the same key while the first
 * request is still running is 409.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly housekeeping: Housekeeping,
  ) {}

  onModuleInit(): void {
    this.housekeeping.register({ name: 'idempotencyKeys', run: () => this.prune() });
  }

  async execute<T>(req: IdempotentRequest, work: (tx: EntityManager) => Promise<T>): Promise<IdempotentResult<T>> {
    if (req.key === undefined) {
      const body = req.singleStatement ? await work(this.dataSource.manager) : await this.dataSource.transaction(work);
      return { status: req.successStatus, body, replayed: false };
    }
    const key = req.key;
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new DomainError('IDEMPOTENCY.INVALID_KEY', 'Idempotency-Key must be 1-255 visible ASCII characters');
    }
    const fingerprint = createHash('sha256')
      .update(`${req.scope}\n${canonicalJson(req.body)}`)
      .digest('hex');
    return this.dataSource.transaction(async (tx) => {
      const [{ locked }] = await tx.query<{ locked: boolean }[]>(
        'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
        [`${req.userId}\n${key}`],
      );
      if (!locked) {
        throw new ConflictError('IDEMPOTENCY.IN_PROGRESS', 'A request with this Idempotency-Key is still in progress');
      }
      const [stored] = await tx.query<{ fingerprint: string; response_status: number; response_body: T | ErrorBody }[]>(
        `SELECT fingerprint, response_status, response_body FROM idempotency_keys
          WHERE user_id = $1 AND key = $2 AND expires_at > now()`,
        [req.userId, key],
      );
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          throw new UnprocessableError(
            'IDEMPOTENCY.KEY_REUSED',
            'This Idempotency-Key was used with a different request; use a new key',
          );
        }
        return { status: stored.response_status, body: stored.response_body, replayed: true };
      }

      await tx.query('SAVEPOINT idempotent_work');
      let result: IdempotentResult<T>;
      try {
        result = { status: req.successStatus, body: await work(tx), replayed: false };
      } catch (e) {
        // A business refusal is the request's answer and is kept; anything else is not.
        if (!(e instanceof DomainError) || e.status >= HttpStatus.INTERNAL_SERVER_ERROR) throw e;
        await tx.query('ROLLBACK TO SAVEPOINT idempotent_work');
        result = { status: e.status, body: toErrorBody(e, req.requestId), replayed: false };
      }
      await tx.query(
        `INSERT INTO idempotency_keys (user_id, key, scope, fingerprint, response_status, response_body, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, now() + make_interval(hours => $7))
         ON CONFLICT (user_id, key) DO UPDATE
           SET scope = EXCLUDED.scope, fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
               response_body = EXCLUDED.response_body, created_at = now(), expires_at = EXCLUDED.expires_at`,
        [req.userId, key, req.scope, fingerprint, result.status, JSON.stringify(result.body), IDEMPOTENCY_TTL_HOURS],
      );
      return result;
    });
  }

  /** Deletes keys past their time; answers how many. */
  async prune(manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [, deleted] = await manager.query<[unknown[], number]>(
      'DELETE FROM idempotency_keys WHERE expires_at <= now()',
    );
    return deleted;
  }
}
