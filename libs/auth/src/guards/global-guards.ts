import { RateLimiter } from '@itn/core';
import { Injectable, OnModuleInit, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { StationAccessGuard } from '../station-access';
import { TokensService } from '../tokens.service';
import type { InMemoryGuard } from './in-memory-guard';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

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

  /** The instances, in the order the router runs them. */
  inOrder(): readonly InMemoryGuard[] {
    return this.guards;
  }
}
