import { DomainError, RouteMetadata } from '@itn/core';
import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { AuthUser, REQUIRED_ROLES } from '../auth-user';
import type { Role } from '../entities/user.entity';
import { admitsUnlessRefused, type InMemoryGuard } from './in-memory-guard';

@Injectable()
export class RolesGuard implements CanActivate, InMemoryGuard {
  constructor(private readonly reflector: RouteMetadata) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles || context.getType() !== 'http') return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user && roles.includes(user.role)) return true;
    throw new DomainError('AUTH.FORBIDDEN', `This needs the role: ${roles.join(' or ')}`, HttpStatus.FORBIDDEN);
  }

  /** The answer of canActivate (it needs no I/O), with refusals as false. */
  admitsFromMemory(context: ExecutionContext): boolean {
    return admitsUnlessRefused(() => this.canActivate(context));
  }
}
