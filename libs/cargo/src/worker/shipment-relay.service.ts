import { DedicatedConnection, Environment, NotifiedLoop } from '@itn/core';
import { EventLogRetention, EventLogSignal, LOG_START, LogPosition } from '@itn/events';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SHIPMENTS_QUEUE, ShipmentJob, stepJob } from '../shipment-jobs';

const RELAY_NAME = 'shipments';
/** Arbitrary constant key of the session lock: one relay at a time moves the cursor. */
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
 *
 * The relay works on a connection of its own, holding a session lock: no other relay moves the
 * cursor while it is alive. Each of its statements is a transaction of its own, so it never
 * keeps a transaction id open across a round trip (to Redis or to the next statement): the
 * log's readers, which stop at the oldest running transaction, are never held back by it.
 */
@Injectable()
export class ShipmentRelay implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: NotifiedLoop;
  private readonly connection: DedicatedConnection;
  /** The connection on which this relay holds the lock, if it does. */
  private lockedOn: Client | null = null;
  /** Rounds of this instance run one after the other. */
  private round: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectQueue(SHIPMENTS_QUEUE) private readonly queue: Queue,
    private readonly dataSource: DataSource,
    private readonly retention: EventLogRetention,
    signal: EventLogSignal,
    config: ConfigService<Environment, true>,
  ) {
    const databaseUrl = config.get('DATABASE_URL', { infer: true });
    this.connection = new DedicatedConnection({
      databaseUrl,
      applicationName: 'itn-shipment-relay',
      statementTimeoutMs: config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true }),
    });
    this.loop = new NotifiedLoop({
      name: ShipmentRelay.name,
      databaseUrl,
      ...signal.wakeUps,
      pollMs: config.get('RELAY_POLL_MS', { infer: true }),
      minIntervalMs: config.get('RELAY_READ_INTERVAL_MS', { infer: true }),
      round: async () => (await this.relayOnce()) === BATCH,
    });
  }

  /** The log's retention keeps every event this relay has not passed yet. */
  onModuleInit(): void {
    this.retention.hold({ name: 'shipment relay', position: () => this.position() });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.loop.start();
  }

  /** The last event the relay has passed (whichever instance moved it); the start of the log before any. */
  async position(): Promise<LogPosition> {
    const [row] = await this.dataSource.query<{ tx_id: string; event_id: string }[]>(
      'SELECT tx_id::text, event_id::text FROM relay_cursors WHERE name = $1',
      [RELAY_NAME],
    );
    return row ? { txId: row.tx_id, id: row.event_id } : LOG_START;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.round.catch(() => undefined);
    // Ending the session releases the lock.
    await this.connection.close();
  }

  /**
   * Moves every pending event to the queue; answers how many events it read (none while
   * another relay holds the lock).
   */
  relayOnce(): Promise<number> {
    const next = this.round.catch(() => undefined).then(() => this.relayRound());
    this.round = next;
    return next;
  }

  private async relayRound(): Promise<number> {
    const client = await this.connection.get();
    if (this.lockedOn !== client) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        RELAY_LOCK_KEY,
      ]);
      if (!rows[0].locked) return 0;
      this.lockedOn = client;
    }
    // Reads its cursor (none yet: the start of the log) and the events after it.
    const { rows } = await client.query<RelayRow>({
      name: 'relay_read',
      text: `WITH cursor AS (SELECT coalesce((SELECT c.tx_id FROM relay_cursors c WHERE c.name = $1), '0'::xid8) AS tx_id,
                                coalesce((SELECT c.event_id FROM relay_cursors c WHERE c.name = $1), 0) AS event_id)
         SELECT e.id::text, e.tx_id::text, s.id AS shipment_id, e.payload->>'status' AS event_status,
                s.status AS current_status, s.dispatch_at, s.eta
           FROM cursor, events e
           JOIN shipments s ON s.id = (e.payload->>'shipmentId')::uuid
          WHERE e.type = 'shipment.status_changed'
            AND (e.tx_id, e.id) > (cursor.tx_id, cursor.event_id)
            AND e.tx_id >= cursor.tx_id -- the planner cannot estimate the row comparison; this bound it can
            AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY e.tx_id, e.id
          LIMIT $2`,
      values: [RELAY_NAME, BATCH],
    });
    if (rows.length === 0) return 0;
    const now = Date.now();
    const jobs = rows
      .filter((r) => r.event_status === r.current_status)
      .flatMap((r) => {
        // The step the shipment waits for in its current state, and when it is due.
        const step: [ShipmentJob.Dispatch | ShipmentJob.Arrive, Date] | null =
          r.current_status === 'scheduled'
            ? [ShipmentJob.Dispatch, r.dispatch_at]
            : r.current_status === 'in_transit'
              ? [ShipmentJob.Arrive, r.eta]
              : null;
        if (!step) return [];
        const [name, dueAt] = step;
        const delay = new Date(dueAt).getTime() - now;
        return [stepJob(name, r.shipment_id, delay)];
      });
    if (jobs.length > 0) await this.queue.addBulk(jobs);
    const last = rows[rows.length - 1];
    await client.query({
      name: 'relay_cursor',
      text: `INSERT INTO relay_cursors (name, tx_id, event_id) VALUES ($1, $2::xid8, $3)
             ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, event_id = EXCLUDED.event_id, updated_at = now()`,
      values: [RELAY_NAME, last.tx_id, last.id],
    });
    return rows.length;
  }
}
