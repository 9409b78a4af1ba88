import { Global, Module } from '@nestjs/common';
import { EventLogSignal } from './event-log.signal';
import { EventLogWriter } from './event-log.writer';

@Global()
@Module({
  providers: [EventLogWriter, EventLogSignal],
  exports: [EventLogWriter, EventLogSignal],
})
export class EventsModule {}
