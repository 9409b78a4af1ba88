import { DomainError, IS_PUBLIC, RouteMetadata } from '@itn/core';
import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth-user';
import { StationAccessPolicy, type UserAccess } from '../station-access';
import { TokensService } from '../tokens.service';
import { admitsUnlessRefused, type InMemoryGuard } from './in-memory-guard';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(header: unknown): string | undefined {
  return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

type AuthenticatedRequest = { headers: Record<string, unknown>; user?: AuthUser };

/**
 * Global: every HTTP route needs a valid access token (Authorization: Bearer) unless marked
 * @Public(). The token says who is calling; what they may do (their role, and whether the
 * account still exists) is read from StationAccessPolicy, so a demoted or deleted user loses
 * their rights without waiting for the token to expire.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate, InMemoryGuard {
  constructor(
    private readonly reflector: RouteMetadata,
    private readonly tokens: TokensService,
    private readonly access: StationAccessPolicy,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const userId = this.userIdOf(req);
    const known = this.access.known(userId);
    if (known !== undefined) return admit(req, known);
    return this.access.current(userId).then((access) => admit(req, access));
  }

  /** Whether canActivate admits the request without a read (token verified, access known); starts no read. */
  admitsFromMemory(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return admitsUnlessRefused(() => {
      const known = this.access.known(this.userIdOf(req));
      return known !== undefined && admit(req, known);
    });
  }

  private userIdOf(req: AuthenticatedRequest): string {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw unauthorized('AUTH.UNAUTHORIZED', 'A valid access token is required');
    try {
      return this.tokens.verifyAccessToken(token).user.id;
    } catch (e) {
      if (e instanceof DomainError) throw e;
      if ((e as { name?: string }).name === 'TokenExpiredError') {
        throw unauthorized('AUTH.TOKEN_EXPIRED', 'The access token has expired');
      }
      throw unauthorized('AUTH.UNAUTHORIZED', 'A valid access token is required');
    }
  }
}

function admit(req: AuthenticatedRequest, access: UserAccess | null): true {
  if (access === null) throw unauthorized('AUTH.UNAUTHORIZED', 'This account no longer exists');
  req.user = access.user;
  return true;
}

function unauthorized(code: string, message: string): DomainError {
  return new DomainError(code, message, HttpStatus.UNAUTHORIZED);
}
