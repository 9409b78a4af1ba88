import { AuthModule } from '@itn/auth';
import { HttpFastPaths, ROUTE_METADATA_MEMO } from '@itn/core';
import { SocketWriteBatching } from '@itn/events';
import { InventoryModule } from '@itn/inventory';
import { Global, Module } from '@nestjs/common';
import { GuardsFromMemory } from './guards-from-memory';
import { InventoryReadShortcut } from './inventory-read.shortcut';
import { PerRouteMetadataMemo } from './route-metadata-memo';
import { FastifyFastPaths, RouteShortcuts } from './route-shortcuts';
import { SocketBursts } from './socket-bursts';

/**
 * Every shortcut taken for measured speed (bench/README.md), in one module that the API
 * imports only with FAST_PATHS=on. Each plugs into a seam of the lib it speeds up, which
 * without it takes the plain framework path with the same answers:
 *
 * - HttpFastPaths (setupApp): handlers after the turn's reads, and route shortcuts;
 * - InventoryReadShortcut: cached inventory reads answered ahead of Nest's router;
 * - ROUTE_METADATA_MEMO (RouteMetadata): route metadata read once per route;
 * - SocketWriteBatching (RealtimeGateway): a socket's events of one turn in one write.
 */
@Global()
@Module({
  imports: [AuthModule, InventoryModule],
  providers: [
    RouteShortcuts,
    { provide: HttpFastPaths, useClass: FastifyFastPaths },
    GuardsFromMemory,
    InventoryReadShortcut,
    { provide: ROUTE_METADATA_MEMO, useClass: PerRouteMetadataMemo },
    { provide: SocketWriteBatching, useClass: SocketBursts },
  ],
  exports: [HttpFastPaths, ROUTE_METADATA_MEMO, SocketWriteBatching, RouteShortcuts, GuardsFromMemory],
})
export class FastPathModule {}
