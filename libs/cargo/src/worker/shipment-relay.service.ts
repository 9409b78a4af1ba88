import { Environment, NotifiedLoop } from '@itn/core';
import { EVENTS_CHANNEL } from '@itn/events';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { SHIPMENTS_QUEUE, ShipmentJob, shipmentJobOptions } from '../shipment-jobs';

const RELAY_NAME = 'shipments';
/** Arbitrary constant key: one relay at a time moves the cursor. */
const RELAY_LOCK_KEY = 7_406_112_003;
const BATCH = 500;

interface RelayRow {
  id: string;
  tx_id: string;
  shipment_id: string;
  event_status: string;
  current_status: string;
  dispatch_at: Date;
  eta: Date;
}

/**
 * The outbox relay: follows the event log and enqueues the shipment step each
 * `shipment.status_changed` event calls for. Jobs have deterministic ids, and a step is
 * enqueued only while the shipment is still in the state the event announced, so a replay
 * enqueues nothing twice and a crash between commit and enqueue loses nothing.
 *
 * The log is read in (transaction id, event id) order, and only up to the oldest running
 * transaction, so an event committed late by a long transaction is never skipped.
 */
@Injectable()
export class ShipmentRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: NotifiedLoop;

  constructor(
    private readonly dataSource: DataSource,
    @InjectQueue(SHIPMENTS_QUEUE) private readonly queue: Queue,
    config: ConfigService<Environment, true>,
  ) {
    this.loop = new NotifiedLoop({
      name: ShipmentRelay.name,
      databaseUrl: config.get('DATABASE_URL', { infer: true }),
      channel: EVENTS_CHANNEL,
      pollMs: config.get('RELAY_POLL_MS', { infer: true }),
      minIntervalMs: config.get('LOG_READ_INTERVAL_MS', { infer: true }),
      round: async () => (await this.relayOnce()) === BATCH,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** Moves every pending event to the queue; answers how many events it read. */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      // One statement takes the relay's lock (held to the end of the transaction), reads its
      // cursor (none yet: the start of the log) and the events after it; without the lock,
      // another relay is at work and this one reads nothing.
      const rows = await tx.query<RelayRow[]>(
        `WITH lock AS (SELECT pg_try_advisory_xact_lock($1) AS locked),
              cursor AS (SELECT coalesce((SELECT c.tx_id FROM relay_cursors c WHERE c.name = $2), '0'::xid8) AS tx_id,
                                coalesce((SELECT c.event_id FROM relay_cursors c WHERE c.name = $2), 0) AS event_id)
         SELECT e.id::text, e.tx_id::text, s.id AS shipment_id, e.payload->>'status' AS event_status,
                s.status AS current_status, s.dispatch_at, s.eta
           FROM lock, cursor, events e
           JOIN shipments s ON s.id = (e.payload->>'shipmentId')::uuid
          WHERE lock.locked
            AND e.type = 'shipment.status_changed'
            AND (e.tx_id, e.id) > (cursor.tx_id, cursor.event_id)
            AND e.tx_id >= cursor.tx_id -- the planner cannot estimate the row comparison; this bound it can
            AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY e.tx_id, e.id
          LIMIT $3`,
        [RELAY_LOCK_KEY, RELAY_NAME, BATCH],
      );
      if (rows.length === 0) return 0;
      const now = Date.now();
      const jobs = rows
        .filter((r) => r.event_status === r.current_status)
        .flatMap((r) => {
          if (r.current_status === 'scheduled') {
            const delay = new Date(r.dispatch_at).getTime() - now;
            return [
              {
                name: ShipmentJob.Dispatch,
                data: { shipmentId: r.shipment_id },
                opts: shipmentJobOptions(ShipmentJob.Dispatch, r.shipment_id, delay),
              },
            ];
          }
          if (r.current_status === 'in_transit') {
            const delay = new Date(r.eta).getTime() - now;
            return [
              {
                name: ShipmentJob.Arrive,
                data: { shipmentId: r.shipment_id },
                opts: shipmentJobOptions(ShipmentJob.Arrive, r.shipment_id, delay),
              },
            ];
          }
          return [];
        });
      if (jobs.length > 0) await this.queue.addBulk(jobs);
      const last = rows[rows.length - 1];
      await tx.query(
        `INSERT INTO relay_cursors (name, tx_id, event_id) VALUES ($1, $2::xid8, $3)
         ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, event_id = EXCLUDED.event_id, updated_at = now()`,
        [RELAY_NAME, last.tx_id, last.id],
      );
      return rows.length;
    });
  }
}
