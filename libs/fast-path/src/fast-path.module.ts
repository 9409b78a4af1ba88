import { SocketWriteBatching } from '@itn/events';
import { Global, Module } from '@nestjs/common';
import { SocketBursts } from './socket-bursts';

/**
 * Every shortcut taken for measured speed (bench/README.md), in one module that the API
 * imports only with FAST_PATHS=on. Each plugs into a seam of the lib it speeds up, which
 * without it takes the plain framework path with the same answers:
 *
 * - SocketWriteBatching (RealtimeGateway): a socket's events of one turn in one write.
 */
@Global()
@Module({
  providers: [{ provide: SocketWriteBatching, useClass: SocketBursts }],
  exports: [SocketWriteBatching],
})
export class FastPathModule {}
