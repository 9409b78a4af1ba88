import { applyDecorators, CanActivate, ExecutionContext, HttpStatus, Injectable, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { DomainError, ErrorResponseDto, RouteMetadata, type InMemoryGuard } from '@itn/core';
import { DataSource } from 'typeorm';
import type { AuthUser } from './auth-user';

export const STATION_ACCESS = 'itn:stationAccess';

/** Where a route carries the station id(s): `params.id`, `body.sellerStationId`, `query.stationId`. */
export type StationIdSource = `${'params' | 'body' | 'query'}.${string}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** How long a user's memberships are trusted before they are read again. */
export const MEMBERSHIP_TTL_MS = 5_000;
const MAX_CACHED_USERS = 50_000;

@Injectable()
export class StationAccessPolicy {
  /**
   * Memberships per user, read once per MEMBERSHIP_TTL_MS instead of once per request (every
   * station-scoped request asks). A change made through this instance applies at once; one
   * made through another instance applies within the TTL.
   */
  private readonly memberships = new Map<string, { stations: Set<string>; expires: number }>();

  constructor(private readonly dataSource: DataSource) {}

  /** Whether the user may act for at least one of these stations. */
  async canActForAny(user: AuthUser, stationIds: readonly string[]): Promise<boolean> {
    return this.knownCanActForAny(user, stationIds) ?? actsForAny(await this.membershipsOf(user.id), stationIds);
  }

  /**
   * The same answer when it needs no read (an admin, or memberships cached and fresh), else
   * undefined: lets the guard decide most requests without a promise.
   */
  knownCanActForAny(user: AuthUser, stationIds: readonly string[]): boolean | undefined {
    if (user.role === 'admin') return true;
    const cached = this.memberships.get(user.id);
    return cached && cached.expires > Date.now() ? actsForAny(cached.stations, stationIds) : undefined;
  }

  /** Drops what is known of a user's memberships (after granting or revoking one). */
  forget(userId: string): void {
    this.memberships.delete(userId);
  }

  private async membershipsOf(userId: string): Promise<Set<string>> {
    const cached = this.memberships.get(userId);
    if (cached && cached.expires > Date.now()) return cached.stations;
    const stations = new Set(await this.stationIdsOf(userId));
    if (this.memberships.size >= MAX_CACHED_USERS) this.memberships.clear();
    // Between three quarters of the TTL and all of it: users who signed in together would
    // otherwise all need a read in the same instant, every TTL, and the requests behind wait.
    const ttl = MEMBERSHIP_TTL_MS * (0.75 + 0.25 * Math.random());
    this.memberships.set(userId, { stations, expires: Date.now() + ttl });
    return stations;
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
    return user.role === 'admin' ? null : [...(await this.membershipsOf(user.id))];
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

function actsForAny(memberships: ReadonlySet<string>, stationIds: readonly string[]): boolean {
  return stationIds.some((id) => memberships.has(id.toLowerCase()));
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
      .filter((v): v is string => typeof v === 'string' && UUID.test(v))
      .map((id) => id.toLowerCase()); // memberships are stored in PostgreSQL's form
    if (present.length === 0 || stationIds.length < present.length) return null;
    return { user, stationIds };
  }
}
