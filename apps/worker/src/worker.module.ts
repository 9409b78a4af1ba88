import { AppConfigModule, DatabaseModule, RedisModule } from '@itn/core';
import { Module } from '@nestjs/common';

/** The worker-only process: no HTTP routes, only background processing. */
@Module({
  imports: [AppConfigModule, DatabaseModule, RedisModule],
})
export class WorkerModule {}
