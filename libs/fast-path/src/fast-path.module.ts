import { ROUTE_METADATA_MEMO } from '@itn/core';
import { SocketWriteBatching } from '@itn/events';
import { Global, Module } from '@nestjs/common';
import { PerRouteMetadataMemo } from './route-metadata-memo';
import { SocketBursts } from './socket-bursts';

/**
 * Every shortcut taken for measured speed (bench/README.md), in one module that the API
 * imports only with FAST_PATHS=on. Each plugs into a seam of the lib it speeds up, which
 * without it takes the plain framework path with the same answers:
 *
 * - ROUTE_METADATA_MEMO (RouteMetadata): route metadata read once per route;
 * - SocketWriteBatching (RealtimeGateway): a socket's events of one turn in one write.
 */
@Global()
@Module({
  providers: [
    { provide: ROUTE_METADATA_MEMO, useClass: PerRouteMetadataMemo },
    { provide: SocketWriteBatching, useClass: SocketBursts },
  ],
  exports: [ROUTE_METADATA_MEMO, SocketWriteBatching],
})
export class FastPathModule {}
