import { MetricsRegistry } from '@itn/core';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Gauge, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { SHIPMENTS_QUEUE } from './shipment-jobs';

/** Shipments by status and the shipment queue's depth, read when Prometheus scrapes. */
@Injectable()
export class CargoMetrics {
  readonly jobDuration: Histogram<'job' | 'outcome'>;

  constructor(registry: MetricsRegistry, dataSource: DataSource, @InjectQueue(SHIPMENTS_QUEUE) queue: Queue) {
    new Gauge({
      name: 'itn_shipments',
      help: 'Shipments by status',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const rows = await dataSource.query<{ status: string; n: string }[]>(
          'SELECT status, count(*) AS n FROM shipments GROUP BY status',
        );
        this.reset();
        for (const r of rows) this.set({ status: r.status }, Number(r.n));
      },
    });
    new Gauge({
      name: 'itn_queue_jobs',
      help: 'Jobs in the shipments queue by state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'prioritized');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: SHIPMENTS_QUEUE, state }, n);
      },
    });
    this.jobDuration = new Histogram({
      name: 'itn_job_duration_seconds',
      help: 'Shipment job run time by job and outcome',
      labelNames: ['job', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }
}
