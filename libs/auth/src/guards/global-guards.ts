import { AppThrottlerGuard, RouteContext, type InMemoryGuard } from '@itn/core';
import { Injectable, type Type } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StationAccessGuard } from '../station-access';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

/**
 * The guards every HTTP route passes, in the order they run: who is calling, then what they
 * may do, then how often. AuthModule registers each as a global guard (APP_GUARD).
 */
export const GLOBAL_GUARDS: Type<InMemoryGuard>[] = [JwtAuthGuard, RolesGuard, StationAccessGuard, AppThrottlerGuard];

/** The global guards' instances, for route shortcuts that answer without Nest's router. */
@Injectable()
export class GlobalGuards {
  private readonly guards: InMemoryGuard[];

  constructor(jwt: JwtAuthGuard, roles: RolesGuard, stationAccess: StationAccessGuard, throttler: AppThrottlerGuard) {
    this.guards = [jwt, roles, stationAccess, throttler];
  }

  /**
   * Whether every global guard lets this request to the controller's method through, each
   * deciding from memory (see InMemoryGuard); they run in order and stop at the first that
   * does not. Only the last, the rate limiter, counts anything, and only when it admits.
   */
  admitFromMemory<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    controller: Type<T>,
    method: keyof T & string,
  ): boolean {
    const handler = (controller.prototype as Record<string, (...args: never[]) => unknown>)[method];
    const context = new RouteContext(request, reply, controller, handler);
    return this.guards.every((guard) => guard.admitsFromMemory(context));
  }
}
