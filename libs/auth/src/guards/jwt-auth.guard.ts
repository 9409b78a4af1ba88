import { DomainError, IS_PUBLIC, RouteMetadata, type InMemoryGuard, admitsUnlessRefused } from '@itn/core';
import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth-user';
import { TokensService } from '../tokens.service';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Global: every HTTP route needs a valid access token (Authorization: Bearer) unless marked @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate, InMemoryGuard {
  constructor(
    private readonly reflector: RouteMetadata,
    private readonly tokens: TokensService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; user?: AuthUser }>();
    const header = req.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw unauthorized(false);
    try {
      req.user = this.tokens.verifyAccessToken(token).user;
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw unauthorized((e as { name?: string }).name === 'TokenExpiredError');
    }
    return true;
  }

  /** Verifying a token needs no I/O: the answer of canActivate, with refusals as false. */
  admitsFromMemory(context: ExecutionContext): boolean {
    return admitsUnlessRefused(() => this.canActivate(context));
  }
}

function unauthorized(expired: boolean): DomainError {
  return new DomainError(
    expired ? 'AUTH.TOKEN_EXPIRED' : 'AUTH.UNAUTHORIZED',
    expired ? 'The access token has expired' : 'A valid access token is required',
    HttpStatus.UNAUTHORIZED,
  );
}
