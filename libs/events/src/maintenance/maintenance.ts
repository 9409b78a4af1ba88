import { Environment, IdempotencyService, onQueueReconnect } from '@itn/core';
import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';

/** The maintenance queue's contract (names frozen once deployed). */
export const MAINTENANCE_QUEUE = 'maintenance';
export enum MaintenanceJob {
  Prune = 'prune',
}
export const PRUNE_SCHEDULER_ID = 'maintenance-prune';
const PRUNE_EVERY_MS = 60 * 60 * 1000;

export interface PruneResult {
  events: number;
  idempotencyKeys: number;
  refreshTokens: number;
}

@Injectable()
export class Pruner {
  private readonly logger = new Logger(Pruner.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyService,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  /**
   * Deletes history past EVENT_RETENTION_DAYS (never an event the shipment relay has not
   * passed yet), idempotency keys past their 24 h, and refresh tokens expired a day ago.
   */
  async prune(): Promise<PruneResult> {
    const days = this.config.get('EVENT_RETENTION_DAYS', { infer: true });
    const [, events] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM events e
        WHERE e.created_at < now() - make_interval(days => $1)
          AND (e.tx_id, e.id) <= coalesce(
                (SELECT (c.tx_id, c.event_id) FROM relay_cursors c WHERE c.name = 'shipments'),
                ('0'::xid8, 0::bigint))`,
      [days],
    );
    const idempotencyKeys = await this.idempotency.prune();
    const [, refreshTokens] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'`,
    );
    const result = { events, idempotencyKeys, refreshTokens };
    if (events + idempotencyKeys + refreshTokens > 0) this.logger.log(`Pruned ${JSON.stringify(result)}`);
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
