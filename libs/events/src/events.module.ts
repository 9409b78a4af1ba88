import { Global, Module } from '@nestjs/common';
import { EventLogWriter } from './event-log.writer';

@Global()
@Module({
  providers: [EventLogWriter],
  exports: [EventLogWriter],
})
export class EventsModule {}
