import { Global, Module } from '@nestjs/common';
import { EventLogRetention } from './event-log-retention';
import { EventLogSignal } from './event-log.signal';
import { EventLogWriter } from './event-log.writer';

@Global()
@Module({
  providers: [EventLogWriter, EventLogSignal, EventLogRetention],
  exports: [EventLogWriter, EventLogSignal, EventLogRetention],
})
export class EventsModule {}
