import { canonicalUuid, DomainError, Environment, Housekeeping } from '@itn/core';
import { HttpStatus, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHash, createSecretKey, KeyObject, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthUser } from './auth-user';
import { REFRESH_TOKEN_PATTERN, TokenPairDto } from './dto/auth.dto';
import { ROLES, type Role } from './entities/user.entity';

export const JWT_ALGORITHM = 'HS256';

/**
 * The HMAC key as a KeyObject: given a string, jsonwebtoken first tries (and fails) to parse
 * it as a public key on every verify, which costs more than the verification itself.
 */
export function jwtKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

export interface AccessTokenClaims {
  sub: string;
  role: Role;
}

export class InvalidRefreshTokenError extends DomainError {
  constructor(code = 'AUTH.INVALID_REFRESH_TOKEN', message = 'The refresh token is invalid, expired or revoked') {
    super(code, message, HttpStatus.UNAUTHORIZED);
  }
}

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');

function parseRefreshToken(token: string): { id: string; hash: string } {
  if (!REFRESH_TOKEN_PATTERN.test(token)) throw new InvalidRefreshTokenError();
  const [id, secret] = token.split('.');
  return { id, hash: sha256(secret) };
}

export interface VerifiedAccessToken {
  user: AuthUser;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
}

/** Verified access tokens remembered at most (about 3 MB); the memory starts over when full. */
const MAX_VERIFIED_TOKENS = 10_000;

@Injectable()
export class TokensService implements OnModuleInit {
  private readonly verified = new Map<string, VerifiedAccessToken>();
  private readonly accessTtl: number;
  private readonly refreshTtl: number;

  constructor(
    private readonly jwt: JwtService,
    private readonly dataSource: DataSource,
    private readonly housekeeping: Housekeeping,
    config: ConfigService<Environment, true>,
  ) {
    this.accessTtl = config.get('JWT_ACCESS_TTL', { infer: true });
    this.refreshTtl = config.get('JWT_REFRESH_TTL', { infer: true });
  }

  onModuleInit(): void {
    this.housekeeping.register({ name: 'refreshTokens', run: () => this.pruneExpired() });
  }

  /** Deletes refresh tokens that expired more than a day ago; answers how many. */
  async pruneExpired(): Promise<number> {
    const [, deleted] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'`,
    );
    return deleted;
  }

  /** A new access token and the first refresh token of a new family. */
  issuePair(user: AuthUser, manager: EntityManager = this.dataSource.manager): Promise<TokenPairDto> {
    return this.issueInFamily(user, randomUUID(), manager);
  }

  /**
   * Rotates a refresh token: the presented one is spent and a new one of the same family is
   * issued. Presenting a spent token again is treated as theft: the whole family is revoked.
   */
  async rotate(refreshToken: string): Promise<TokenPairDto> {
    const { id, hash } = parseRefreshToken(refreshToken);
    const pair = await this.dataSource.transaction(async (tx) => {
      // UPDATE ... RETURNING answers [rows, affectedCount] through TypeORM's postgres driver.
      const [rows] = await tx.query<[{ user_id: string; family_id: string; role: Role }[], number]>(
        `UPDATE refresh_tokens t SET used_at = now()
           FROM users u
          WHERE t.id = $1 AND t.token_hash = $2 AND t.used_at IS NULL AND t.revoked_at IS NULL
            AND t.expires_at > now() AND u.id = t.user_id
          RETURNING t.user_id, t.family_id, u.role`,
        [id, hash],
      );
      const row = rows[0];
      if (!row) return null;
      return this.issueInFamily({ id: row.user_id, role: row.role }, row.family_id, tx);
    });
    if (pair) return pair;

    const [known] = await this.dataSource.query<{ family_id: string; token_hash: string; used_at: Date | null }[]>(
      'SELECT family_id, token_hash, used_at FROM refresh_tokens WHERE id = $1',
      [id],
    );
    if (known && this.sameHash(known.token_hash, hash) && known.used_at !== null) {
      await this.revokeFamily(known.family_id);
      throw new InvalidRefreshTokenError(
        'AUTH.REFRESH_TOKEN_REUSED',
        'This refresh token was already used; every session of its login has been revoked',
      );
    }
    throw new InvalidRefreshTokenError();
  }

  /** Revokes the family of a refresh token that belongs to the user (logout). */
  async revokeFamilyOf(refreshToken: string, userId: string): Promise<void> {
    const { id, hash } = parseRefreshToken(refreshToken);
    const [known] = await this.dataSource.query<{ family_id: string; token_hash: string; user_id: string }[]>(
      'SELECT family_id, token_hash, user_id FROM refresh_tokens WHERE id = $1',
      [id],
    );
    if (!known || known.user_id !== userId || !this.sameHash(known.token_hash, hash)) {
      throw new InvalidRefreshTokenError();
    }
    await this.revokeFamily(known.family_id);
  }

  /**
   * Verifies an access token (algorithm, signature, exp, iss, aud), for HTTP requests and
   * sockets. A token that verified is remembered until it expires, so the signature of a token
   * used again is not computed again: the same string carries the same signature, and only its
   * expiry can change the answer. Throws jsonwebtoken's errors (TokenExpiredError, ...).
   */
  verifyAccessToken(token: string): VerifiedAccessToken {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known;
    this.verified.delete(token);
    const claims = this.jwt.verify<Partial<IssuedClaims>>(token, { algorithms: [JWT_ALGORITHM] });
    const result = { user: toAuthUser(claims, this.accessTtl), expiresAt: claims.exp! * 1000 };
    if (this.verified.size >= MAX_VERIFIED_TOKENS) this.verified.clear();
    this.verified.set(token, result);
    return result;
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
      [familyId],
    );
  }

  private async issueInFamily(user: AuthUser, familyId: string, manager: EntityManager): Promise<TokenPairDto> {
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await manager.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [id, familyId, user.id, sha256(secret), this.refreshTtl],
    );
    const claims: AccessTokenClaims = { sub: user.id, role: user.role };
    return {
      accessToken: await this.jwt.signAsync(claims),
      refreshToken: `${id}.${secret}`,
      tokenType: 'Bearer',
      expiresIn: this.accessTtl,
    };
  }

  private sameHash(stored: string, presented: string): boolean {
    return timingSafeEqual(Buffer.from(stored), Buffer.from(presented));
  }
}

/** The claims every access token this service issues carries (jsonwebtoken adds iat, exp, iss, aud). */
type IssuedClaims = AccessTokenClaims & { iat: number; exp: number };

/** Clock difference between instances tolerated on `iat`, in seconds. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Claims -> AuthUser, refusing anything that is not exactly what we issue: a token without an
 * expiry, an issue time or a subject would otherwise be accepted by the signature check alone,
 * and so would one issued in the future or living longer than `accessTtl` seconds.
 */
export function toAuthUser(claims: Partial<IssuedClaims>, accessTtl: number, nowSeconds = Date.now() / 1000): AuthUser {
  if (
    canonicalUuid(claims.sub) !== claims.sub ||
    !Number.isFinite(claims.exp) ||
    !Number.isFinite(claims.iat) ||
    claims.iat! > nowSeconds + CLOCK_SKEW_SECONDS ||
    claims.exp! - claims.iat! > accessTtl ||
    !ROLES.includes(claims.role as Role)
  ) {
    throw new DomainError('AUTH.UNAUTHORIZED', 'Invalid access token', HttpStatus.UNAUTHORIZED);
  }
  return { id: claims.sub!, role: claims.role as Role };
}
