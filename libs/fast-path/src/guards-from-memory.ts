import { GlobalGuards } from '@itn/auth';
import { Injectable, type Type } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpRouteContext, ownGuardsAndInterceptors, type RouteHandler } from './nest-internals';

function handlerOf<T>(controller: Type<T>, method: keyof T & string): RouteHandler {
  return (controller.prototype as Record<string, RouteHandler>)[method];
}

/** The router's global guards, asked from memory for a route shortcut. */
@Injectable()
export class GuardsFromMemory {
  constructor(private readonly guards: GlobalGuards) {}

  /**
   * For a shortcut, at start-up: refuses a route with guards or interceptors of its own
   * (@UseGuards, @UseInterceptors), which admit would not run.
   */
  assertOnlyGlobal<T>(controller: Type<T>, method: keyof T & string): void {
    const own = ownGuardsAndInterceptors(controller, handlerOf(controller, method));
    if (own.length > 0) {
      throw new Error(`${controller.name}.${method} has ${own.join(', ')} of its own: a shortcut would skip them`);
    }
  }

  /**
   * Whether every global guard lets this request to the controller's method through, each
   * deciding from memory (InMemoryGuard), with the context the router would give it; they run
   * in order and stop at the first that does not. None counts anything: the request was
   * counted when it arrived.
   */
  admit<T>(request: FastifyRequest, reply: FastifyReply, controller: Type<T>, method: keyof T & string): boolean {
    const guards = this.guards.inOrder();
    const context = httpRouteContext(request, reply, controller, handlerOf(controller, method));
    return guards.length > 0 && guards.every((guard) => guard.admitsFromMemory(context));
  }
}
