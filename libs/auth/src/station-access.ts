import { applyDecorators, CanActivate, ExecutionContext, HttpStatus, Injectable, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { DomainError, ErrorResponseDto, RouteMetadata, UUID_PATTERN } from '@itn/core';
import type { InMemoryGuard } from './guards/in-memory-guard';
import { DataSource } from 'typeorm';
import type { AuthUser } from './auth-user';
import type { Role } from './entities/user.entity';

export const STATION_ACCESS = 'itn:stationAccess';

/** Where a route carries the station id(s): `params.id`, `body.sellerStationId`, `query.stationId`. */
export type StationIdSource = `${'params' | 'body' | 'query'}.${string}`;

export class StationForbiddenError extends DomainError {
  constructor() {
    super('AUTH.STATION_FORBIDDEN', 'You are not a member of this station', HttpStatus.FORBIDDEN);
  }
}

/**
 * "Member of this station, or admin". With several sources the caller needs to belong to
 * any one of them (a trade is allowed to the seller's and to the buyer's members).
 * A trader is refused with 403 whether or not the station exists, so membership checks
 * never reveal which stations exist; admins get the route's own 404.
 */
export const StationAccess = (...sources: StationIdSource[]) =>
  applyDecorators(
    SetMetadata(STATION_ACCESS, sources),
    ApiForbiddenResponse({ description: 'Not a member of the station (and not an admin)', type: ErrorResponseDto }),
  );

/** How long a user's role and memberships are trusted before they are read again. */
export const MEMBERSHIP_TTL_MS = 5_000;
const MAX_CACHED_USERS = 50_000;

/** What a user may do now, as stored (a token only says who they are). */
export interface UserAccess {
  /** The user with their current role, as guards put it on the request. */
  user: AuthUser;
  /** The stations they are a member of, in PostgreSQL's (lower-case) form. */
  stations: ReadonlySet<string>;
}

/** Whether this access lets its user act for at least one of these stations. */
export function actsForAny(access: UserAccess, stationIds: readonly string[]): boolean {
  return access.user.role === 'admin' || stationIds.some((id) => access.stations.has(id.toLowerCase()));
}

@Injectable()
export class StationAccessPolicy {
  /**
   * Each user's current role and memberships (null: the user no longer exists), read once per
   * MEMBERSHIP_TTL_MS instead of once per request. A change made through any instance is
   * an event in the log (access.changed), on which every instance forgets the user at once;
   * the TTL bounds what is missed if that event is late.
   */
  private readonly users = new Map<string, { access: UserAccess | null; expires: number }>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The user's current access when it is known and fresh; null when the user no longer
   * exists; undefined when it must be read (current): lets guards decide most requests
   * without a promise.
   */
  known(userId: string): UserAccess | null | undefined {
    const cached = this.users.get(userId);
    return cached && cached.expires > Date.now() ? cached.access : undefined;
  }

  /** The user's current access, read when not known; null when the user no longer exists. */
  async current(userId: string): Promise<UserAccess | null> {
    const known = this.known(userId);
    if (known !== undefined) return known;
    const [row] = await this.dataSource.query<{ role: Role; stations: string[] }[]>(
      `SELECT u.role, ARRAY(SELECT m.station_id::text FROM station_members m WHERE m.user_id = u.id) AS stations
         FROM users u WHERE u.id = $1`,
      [userId],
    );
    const access = row ? { user: { id: userId, role: row.role }, stations: new Set(row.stations) } : null;
    if (this.users.size >= MAX_CACHED_USERS) this.users.clear();
    // Between three quarters of the TTL and all of it: users who signed in together would
    // otherwise all need a read in the same instant, every TTL, and the requests behind wait.
    const ttl = MEMBERSHIP_TTL_MS * (0.75 + 0.25 * Math.random());
    this.users.set(userId, { access, expires: Date.now() + ttl });
    return access;
  }

  /** Whether the user may act for at least one of these stations (by their current role). */
  async canActForAny(user: AuthUser, stationIds: readonly string[]): Promise<boolean> {
    const access = await this.current(user.id);
    return access !== null && actsForAny(access, stationIds);
  }

  /** The same answer when it needs no read, else undefined. */
  knownCanActForAny(user: AuthUser, stationIds: readonly string[]): boolean | undefined {
    const access = this.known(user.id);
    return access === undefined ? undefined : access !== null && actsForAny(access, stationIds);
  }

  /** Drops what is known of a user's access (after a change of their role or memberships). */
  forget(userId: string): void {
    this.users.delete(userId);
  }

  async assertCanActForAny(user: AuthUser, stationIds: readonly string[]): Promise<void> {
    if (!(await this.canActForAny(user, stationIds))) throw new StationForbiddenError();
  }

  /**
   * The stations a list or stream is limited to: the one asked for (its access is checked by
   * the route's guard), else every station of a trader, else none for an admin (null: all).
   */
  async scope(user: AuthUser, requested: string | undefined): Promise<string[] | null> {
    if (requested !== undefined) return [requested];
    return scopeOf(await this.current(user.id), undefined);
  }

  /** The stations a user is a member of. */
  async stationIdsOf(userId: string): Promise<string[]> {
    const rows = await this.dataSource.query<{ station_id: string }[]>(
      'SELECT station_id FROM station_members WHERE user_id = $1 ORDER BY station_id',
      [userId],
    );
    return rows.map((r) => r.station_id);
  }
}

/**
 * What a user with this access may follow of what they asked for: the station asked for
 * while they may act for it, else every station of a trader, else all (null) for an admin;
 * [] when nothing (the user is gone, or no longer a member of the station asked for).
 */
export function scopeOf(access: UserAccess | null, requested: string | undefined): string[] | null {
  if (access === null) return [];
  if (requested !== undefined) return actsForAny(access, [requested]) ? [requested] : [];
  return access.user.role === 'admin' ? null : [...access.stations];
}

function pick(request: Record<string, unknown>, source: StationIdSource): unknown {
  const [where, key] = source.split('.', 2);
  const container = request[where];
  return container && typeof container === 'object' ? (container as Record<string, unknown>)[key] : undefined;
}

/** Whom a request must be checked for, and against which stations. */
interface AccessSubject {
  user: AuthUser | undefined;
  stationIds: string[];
}

@Injectable()
export class StationAccessGuard implements CanActivate, InMemoryGuard {
  constructor(
    private readonly reflector: RouteMetadata,
    private readonly policy: StationAccessPolicy,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const subject = this.subjectOf(context);
    if (!subject) return true;
    const { user, stationIds } = subject;
    if (!user) return false;
    const known = this.policy.knownCanActForAny(user, stationIds);
    if (known === undefined) return this.policy.assertCanActForAny(user, stationIds).then(() => true);
    if (!known) throw new StationForbiddenError();
    return true;
  }

  /** True when canActivate would let the request through without reading memberships. */
  admitsFromMemory(context: ExecutionContext): boolean {
    const subject = this.subjectOf(context);
    if (!subject) return true;
    return subject.user !== undefined && this.policy.knownCanActForAny(subject.user, subject.stationIds) === true;
  }

  private subjectOf(context: ExecutionContext): AccessSubject | null {
    const sources = this.reflector.getAllAndOverride<StationIdSource[] | undefined>(STATION_ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!sources || context.getType() !== 'http') return null;
    const request = context.switchToHttp().getRequest<Record<string, unknown> & { user?: AuthUser }>();
    const user = request.user;
    if (!user) return { user, stationIds: [] };
    if (user.role === 'admin') return null;
    const present = sources.map((s) => pick(request, s)).filter((v) => v !== undefined);
    // A missing optional filter (e.g. ?stationId) is the service's business; malformed ids are
    // left to validation, which answers 400 before the handler runs.
    const stationIds = present
      .filter((v): v is string => typeof v === 'string' && UUID_PATTERN.test(v))
      .map((id) => id.toLowerCase()); // memberships are stored in PostgreSQL's form
    if (present.length === 0 || stationIds.length < present.length) return null;
    return { user, stationIds };
  }
}
