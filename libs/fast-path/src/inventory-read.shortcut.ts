import { API_PREFIX } from '@itn/core';
import { InventoryCache, inventoryAnswer, InventoryController } from '@itn/inventory';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GuardsFromMemory } from './guards-from-memory';
import { RouteShortcuts } from './route-shortcuts';

/**
 * `GET /api/inventory/{stationId}` answered without Nest's router when everything it needs is
 * in memory: the station's inventory is cached, and the global guards admit the request
 * from memory (a verified token, the caller's memberships cached); the rate limiter counted
 * the request when it arrived, and refused it then if it was over budget. The answer is the
 * controller's, byte for byte and header for header. Anything else (a cache miss, no or a bad
 * token, memberships to read, a refusal, an id that is not a cached station's, which includes
 * every malformed one) goes to the router, which decides and answers it. Cached reads are the
 * busiest request a dashboard makes, and the router's own work was most of their cost
 * (bench/README.md, item 6).
 */
@Injectable()
export class InventoryReadShortcut implements OnModuleInit {
  constructor(
    private readonly shortcuts: RouteShortcuts,
    private readonly guards: GuardsFromMemory,
    private readonly cache: InventoryCache,
  ) {}

  onModuleInit(): void {
    this.guards.assertOnlyGlobal(InventoryController, 'get');
    this.shortcuts.register('GET', `/${API_PREFIX}/inventory/:stationId`, (request, reply) =>
      this.answer(request, reply),
    );
  }

  answer(request: FastifyRequest, reply: FastifyReply): boolean {
    const { stationId } = request.params as { stationId: string };
    // Only ids the router validated and read are cached, in lower case (UuidParam's form).
    const snapshot = this.cache.get(stationId.toLowerCase());
    if (!snapshot) return false;
    if (!this.guards.admit(request, reply, InventoryController, 'get')) return false;
    void reply.send(inventoryAnswer(reply, snapshot, request.headers['if-none-match']));
    return true;
  }
}
