import { Housekeeping, onQueueReconnect } from '@itn/core';
import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';

/** The maintenance queue's contract (names frozen once deployed). */
export const MAINTENANCE_QUEUE = 'maintenance';
export enum MaintenanceJob {
  Prune = 'prune',
}
export const PRUNE_SCHEDULER_ID = 'maintenance-prune';
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Rows each housekeeping task deleted, by task (events, idempotencyKeys, refreshTokens, ...). */
export type PruneResult = Record<string, number>;

/**
 * Runs every feature's housekeeping: each owner prunes its own tables (the event log past
 * EVENT_RETENTION_DAYS that its readers have passed, idempotency keys past their 24 h, refresh
 * tokens expired a day ago, ...).
 */
@Injectable()
export class Pruner {
  private readonly logger = new Logger(Pruner.name);

  constructor(private readonly housekeeping: Housekeeping) {}

  async prune(): Promise<PruneResult> {
    const result = await this.housekeeping.runAll();
    if (Object.values(result).some((n) => n > 0)) this.logger.log(`Pruned ${JSON.stringify(result)}`);
    return result;
  }
}

@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly pruner: Pruner,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.schedule();
    onQueueReconnect(this.queue, () => this.schedule());
  }

  private schedule() {
    return this.queue.upsertJobScheduler(
      PRUNE_SCHEDULER_ID,
      { every: PRUNE_EVERY_MS },
      { name: MaintenanceJob.Prune, data: {}, opts: { removeOnComplete: true, removeOnFail: 50 } },
    );
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    new Logger(MaintenanceProcessor.name).warn(`Maintenance worker: ${error.message}`);
  }

  async process(job: Job): Promise<PruneResult> {
    const name = job.name as MaintenanceJob;
    switch (name) {
      case MaintenanceJob.Prune:
        return this.pruner.prune();
      default: {
        const unknown: never = name;
        throw new UnrecoverableError(`Unknown job ${String(unknown)}`);
      }
    }
  }
}
