import type { ExecutionContext, Type } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/internal';
import { ExecutionContextHost } from '@nestjs/core/internal';

/**
 * Every use of NestJS internals (`@nestjs/common/internal`, `@nestjs/core/internal`: exports
 * Nest keeps for its own packages, which may change in any release) is in this file, and
 * nest-internals.spec.ts fails, naming what changed, when an upgrade changes one of them.
 */

/** A controller method, as Nest's router hands it to guards. */
export type RouteHandler = (...args: never[]) => unknown;

/**
 * The ExecutionContext the router gives guards for an HTTP request to this controller method:
 * Nest's own class, so that a guard run by a shortcut sees what it sees under the router.
 */
export function httpRouteContext(
  request: unknown,
  reply: unknown,
  controller: Type<unknown>,
  handler: RouteHandler,
): ExecutionContext {
  return new ExecutionContextHost([request, reply], controller, handler);
}

/**
 * The metadata keys under which the controller or the method declares guards or interceptors
 * of its own (@UseGuards, @UseInterceptors): those the router would run besides the global ones.
 */
export function ownGuardsAndInterceptors(controller: Type<unknown>, handler: RouteHandler): string[] {
  return [GUARDS_METADATA, INTERCEPTORS_METADATA].filter((key) =>
    [controller, handler].some(
      (target) => ((Reflect.getMetadata(key, target) as unknown[] | undefined) ?? []).length > 0,
    ),
  );
}
