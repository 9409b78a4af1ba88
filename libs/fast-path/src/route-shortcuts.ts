import { HttpFastPaths } from '@itn/core';
import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Answers a request to one route without Nest's router, or declines (false) and leaves it to
 * the router. It must decline unless it can answer exactly as the route would, from memory:
 * the router then decides, and answers every refusal and error.
 */
export type RouteShortcut = (request: FastifyRequest, reply: FastifyReply) => boolean;

/**
 * The shortcuts of the hottest routes, by method and path as Fastify knows the route
 * (`/api/inventory/:stationId`). Each request is offered to its route's shortcut, if any,
 * right before the route's handler would run: after routing, the rate limit, CORS and body
 * parsing, with the onSend and onResponse hooks (metrics, request log) still ahead.
 */
@Injectable()
export class RouteShortcuts {
  private readonly shortcuts = new Map<string, RouteShortcut>();

  register(method: string, url: string, shortcut: RouteShortcut): void {
    const key = `${method} ${url}`;
    if (this.shortcuts.has(key)) throw new Error(`A shortcut for ${key} is already registered`);
    this.shortcuts.set(key, shortcut);
  }

  /** Whether the request was answered by its route's shortcut. */
  answer(request: FastifyRequest, reply: FastifyReply): boolean {
    if (this.shortcuts.size === 0) return false;
    const shortcut = this.shortcuts.get(`${request.method} ${request.routeOptions.url}`);
    return shortcut !== undefined && shortcut(request, reply);
  }
}

/**
 * The HTTP fast paths, as one preHandler hook (Fastify's public API only):
 *
 * - Handlers run once every request that arrived in the same event-loop turn has been read
 *   (setImmediate: right after the poll phase), so that their answers go out in one burst, as
 *   Redis writes its replies before it waits for events again. Under load a client is then
 *   woken once per burst instead of once per answer, which on the 2-core benchmark machine made
 *   cached inventory reads markedly faster (bench/README.md, item 5). When idle it costs
 *   microseconds.
 * - Then the route's shortcut, if it has one, may answer without Nest's router.
 */
@Injectable()
export class FastifyFastPaths extends HttpFastPaths {
  constructor(private readonly shortcuts: RouteShortcuts) {
    super();
  }

  install(fastify: FastifyInstance): void {
    fastify.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      setImmediate(() => {
        let answered: boolean;
        try {
          answered = this.shortcuts.answer(request, reply);
        } catch (e) {
          return done(e as Error);
        }
        if (!answered) done();
      });
    });
  }
}
