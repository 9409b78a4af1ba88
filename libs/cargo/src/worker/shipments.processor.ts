import { Environment } from '@itn/core';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Job, UnrecoverableError } from 'bullmq';
import { readShipmentJob, SHIPMENT_JOB_ATTEMPTS, SHIPMENTS_QUEUE, ShipmentJob } from '../shipment-jobs';
import { CargoMetrics } from '../cargo.metrics';
import { ShipmentsService } from '../shipments.service';
import { ShipmentSweeper } from './shipment-sweeper.service';

export interface StepResult {
  changed: boolean;
}

/**
 * Runs the shipment steps. Each step is one transaction with a guarded transition, so a job
 * run twice (a retry, a stalled job taken over after a crash, a sweep) changes nothing the
 * second time.
 */
@Processor(SHIPMENTS_QUEUE, { autorun: false })
export class ShipmentsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(ShipmentsProcessor.name);

  constructor(
    private readonly shipments: ShipmentsService,
    private readonly sweeper: ShipmentSweeper,
    private readonly config: ConfigService<Environment, true>,
    private readonly metrics: CargoMetrics,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    // Worker options come from the validated config, so the worker starts only now.
    const lockDuration = this.config.get('QUEUE_LOCK_DURATION_MS', { infer: true });
    Object.assign(this.worker.opts, { lockDuration, stalledInterval: lockDuration, maxStalledCount: 5 });
    this.worker.concurrency = this.config.get('WORKER_CONCURRENCY', { infer: true });
    void this.worker.run();
  }

  async process(job: Job<unknown, StepResult | number, string>): Promise<StepResult | number> {
    const stop = this.metrics.jobDuration.startTimer({ job: job.name });
    try {
      const result = await this.run(job);
      stop({ outcome: 'completed' });
      return result;
    } catch (e) {
      stop({ outcome: 'failed' });
      throw e;
    }
  }

  private async run(job: Job): Promise<StepResult | number> {
    const read = readShipmentJob(job.name, job.data);
    if (!read) throw new UnrecoverableError(`Unknown job ${job.name}, or malformed data`);
    switch (read.name) {
      case ShipmentJob.Dispatch:
        return { changed: (await this.shipments.dispatch(read.data.shipmentId)) !== undefined };
      case ShipmentJob.Arrive:
        return { changed: (await this.shipments.deliver(read.data.shipmentId)) !== undefined };
      case ShipmentJob.Sweep:
        return this.sweeper.sweep();
      default: {
        const unknown: never = read;
        throw new UnrecoverableError(`Unknown job ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Connection trouble (Redis away) is retried by BullMQ; it only needs saying. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`Shipment worker: ${error.message}`);
  }

  /** A step that failed every attempt gives the shipment up, returning its goods (see ShipmentsService.fail). */
  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined, error: Error): Promise<void> {
    const read = job && readShipmentJob(job.name, job.data);
    if (!read || read.name === ShipmentJob.Sweep || error instanceof UnrecoverableError) return;
    if (job.attemptsMade < (job.opts.attempts ?? SHIPMENT_JOB_ATTEMPTS)) return;
    try {
      await this.shipments.fail(read.data.shipmentId, `${read.name} failed: ${error.message}`);
    } catch (e) {
      this.logger.error(`Could not mark shipment ${read.data.shipmentId} failed: ${(e as Error).message}`);
    }
  }
}
