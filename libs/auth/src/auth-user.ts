import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from './entities/user.entity';

/** Who is calling, as proven by the access token. */
export interface AuthUser {
  id: string;
  role: Role;
}

export { IS_PUBLIC, Public } from '@itn/core';

export const REQUIRED_ROLES = 'itn:roles';

/** The caller must have one of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  if (ctx.getType() === 'ws') return ctx.switchToWs().getClient<{ data: { user: AuthUser } }>().data.user;
  return ctx.switchToHttp().getRequest<{ user: AuthUser }>().user;
});
