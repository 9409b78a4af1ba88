import { AuthModule } from '@itn/auth';
import { Global, Module } from '@nestjs/common';
import { EventFollower } from '../event-follower.service';
import { EventLogReader } from '../event-log.reader';
import { LogCatchUp } from './log-catch-up';
import { RealtimeGateway } from './realtime.gateway';
import { RealtimeMetrics } from './realtime.metrics';
import { SseStreams } from './sse-streams';
import { UpdatesController } from './updates.controller';

/**
 * Live delivery for this API instance: the log follower, Socket.IO, SSE and polling.
 * Global, so what follows the log (the inventory cache) can find the follower.
 */
@Global()
@Module({
  imports: [AuthModule],
  controllers: [UpdatesController],
  providers: [EventLogReader, EventFollower, LogCatchUp, RealtimeGateway, RealtimeMetrics, SseStreams],
  exports: [EventFollower, RealtimeGateway, EventLogReader],
})
export class RealtimeModule {}
