import { RateLimiter, RouteContext, type InMemoryGuard } from '@itn/core';
import { Injectable, OnModuleInit, type Type } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StationAccessGuard } from '../station-access';
import { TokensService } from '../tokens.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

function handlerOf<T>(controller: Type<T>, method: keyof T & string): (...args: never[]) => unknown {
  return (controller.prototype as Record<string, (...args: never[]) => unknown>)[method];
}

/**
 * The guards every HTTP route passes, in the order they run: who is calling, then what they
 * may do. AuthModule registers each as a global guard (APP_GUARD). How often is counted
 * before any of them, for every request (RateLimiter).
 */
export const GLOBAL_GUARDS: Type<InMemoryGuard>[] = [JwtAuthGuard, RolesGuard, StationAccessGuard];

/**
 * The global guards' instances, in GLOBAL_GUARDS order, for route shortcuts that answer
 * without Nest's router: a guard added to GLOBAL_GUARDS is asked by the shortcuts too. Also
 * tells the rate limiter, which counts requests before the guards run, who is calling.
 */
@Injectable()
export class GlobalGuards implements OnModuleInit {
  private guards: InMemoryGuard[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly tokens: TokensService,
    private readonly limiter: RateLimiter,
  ) {}

  onModuleInit(): void {
    this.guards = GLOBAL_GUARDS.map((guard) => this.moduleRef.get(guard));
    // The user of an access token that verifies (remembered by TokensService, so no signature
    // is computed twice), whether or not the route then admits them.
    this.limiter.identifyUsersBy((token) => {
      try {
        return this.tokens.verifyAccessToken(token).user.id;
      } catch {
        return undefined;
      }
    });
  }

  /**
   * For a shortcut, at start-up: refuses a route with guards or interceptors of its own
   * (@UseGuards, @UseInterceptors), which admitFromMemory would not run.
   */
  assertOnlyGlobal<T>(controller: Type<T>, method: keyof T & string): void {
    const targets = [controller, handlerOf(controller, method)];
    for (const key of [GUARDS_METADATA, INTERCEPTORS_METADATA]) {
      if (targets.some((target) => ((Reflect.getMetadata(key, target) as unknown[] | undefined) ?? []).length > 0)) {
        throw new Error(`${controller.name}.${method} has ${key} of its own: a shortcut would skip them`);
      }
    }
  }

  /**
   * Whether every global guard lets this request to the controller's method through, each
   * deciding from memory (see InMemoryGuard); they run in order and stop at the first that
   * does not. None counts anything: the request was counted when it arrived.
   */
  admitFromMemory<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    controller: Type<T>,
    method: keyof T & string,
  ): boolean {
    const context = new RouteContext(request, reply, controller, handlerOf(controller, method));
    return this.guards.length > 0 && this.guards.every((guard) => guard.admitsFromMemory(context));
  }
}
