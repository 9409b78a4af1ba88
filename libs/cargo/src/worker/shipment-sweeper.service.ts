import { Environment, onQueueReconnect } from '@itn/core';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { SHIPMENTS_QUEUE, ShipmentJob, shipmentJobId, stepJob, SWEEP_SCHEDULER_ID } from '../shipment-jobs';
import { ShipmentsRepository } from '../shipments.repository';

/**
 * The safety net behind the relay: every SWEEP_INTERVAL_MS (a BullMQ job scheduler) it
 * finds shipments whose next step is overdue and makes sure a job for that step exists.
 */
@Injectable()
export class ShipmentSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger(ShipmentSweeper.name);
  private readonly intervalMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly shipments: ShipmentsRepository,
    @InjectQueue(SHIPMENTS_QUEUE) private readonly queue: Queue,
    config: ConfigService<Environment, true>,
  ) {
    this.intervalMs = config.get('SWEEP_INTERVAL_MS', { infer: true });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.schedule();
    // Redis may come back empty: schedule again and sweep at once for the jobs it lost.
    onQueueReconnect(this.queue, async () => {
      await this.schedule();
      await this.queue.add(ShipmentJob.Sweep, {}, { removeOnComplete: true, removeOnFail: 100 });
    });
  }

  private schedule() {
    return this.queue.upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: this.intervalMs },
      { name: ShipmentJob.Sweep, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }

  /** Answers how many jobs it had to (re)create. */
  async sweep(): Promise<number> {
    const overdue = await this.shipments.overdue(this.dataSource.manager, this.intervalMs, 1000);
    let fixed = 0;
    for (const s of overdue) {
      const name = s.status === 'scheduled' ? ShipmentJob.Dispatch : ShipmentJob.Arrive;
      if (await this.ensureJob(name, s.id)) fixed++;
    }
    if (fixed > 0) this.logger.warn(`Re-enqueued ${fixed} overdue shipment step(s)`);
    return fixed;
  }

  private async ensureJob(name: ShipmentJob.Dispatch | ShipmentJob.Arrive, shipmentId: string): Promise<boolean> {
    const job = await this.queue.getJob(shipmentJobId(name, shipmentId));
    if (job) {
      const state = await job.getState();
      if (state === 'failed') {
        await job.retry();
        return true;
      }
      if (state !== 'completed' && state !== 'unknown') return false; // waiting, delayed or active
      await job.remove();
    }
    const step = stepJob(name, shipmentId, 0);
    await this.queue.add(step.name, step.data, step.opts);
    return true;
  }
}
