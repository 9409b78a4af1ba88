import { DedicatedConnection, Environment, NotifiedLoopOptions } from '@itn/core';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import {
  DataSource,
  type EntityManager,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';

/** The channel on which the log's followers are told that events were committed. */
export const EVENTS_CHANNEL = 'itn_events';

/** Set on a transaction's query runner when it wrote events. */
const WROTE_EVENTS = 'itn:wroteEvents';

/**
 * Tells the followers of the event log that events were committed: those of this process at
 * once, in-process (`onAnnounce`), and those of every other process with `NOTIFY itn_events`,
 * sent once the writing transaction has committed, from a connection of its own. Notifications
 * go out one at a time and at most one per LOG_READ_INTERVAL_MS, the least time between two
 * reads of a follower: announcements made meanwhile are folded into the next one. Each carries
 * this process's `origin`, so that its own followers, already woken, can pass over it.
 *
 * Not from within the writing transaction: a transaction that notifies takes a lock for the
 * whole database at commit and keeps it until its commit record is flushed to disk, so every
 * transaction that wrote events would commit one after the other. A notification sent
 * afterwards, by a transaction that writes nothing, holds that lock for microseconds. If the
 * process stops between a commit and its notification, the followers find the events at their
 * next poll (RELAY_POLL_MS).
 */
@Injectable()
export class EventLogSignal implements EntitySubscriberInterface, OnApplicationShutdown {
  private readonly logger = new Logger(EventLogSignal.name);
  /** The payload of this process's notifications. */
  readonly origin = randomUUID();
  private readonly connection: DedicatedConnection;
  private readonly intervalMs: number;
  private readonly local = new Set<() => void>();
  private sending = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private lastSentAt = 0;
  private closed = false;
  private lastWarning = 0;

  constructor(dataSource: DataSource, config: ConfigService<Environment, true>) {
    this.connection = new DedicatedConnection({
      databaseUrl: config.get('DATABASE_URL', { infer: true }),
      applicationName: 'itn-event-signal',
    });
    this.intervalMs = config.get('LOG_READ_INTERVAL_MS', { infer: true });
    dataSource.subscribers.push(this);
  }

  /**
   * For whoever wrote events through `tx`: announces them now when `tx` is not a transaction
   * (the statement committed on its own), else once the transaction commits.
   */
  written(tx: EntityManager): void {
    const runner = tx.queryRunner;
    if (runner?.isTransactionActive) runner.data[WROTE_EVENTS] = true;
    else this.announce();
  }

  /** TypeORM calls it after every commit (and after every savepoint released). */
  afterTransactionCommit({ queryRunner }: TransactionCommitEvent): void {
    if (queryRunner.isTransactionActive || !queryRunner.data[WROTE_EVENTS]) return;
    delete queryRunner.data[WROTE_EVENTS];
    this.announce();
  }

  /** What a rolled-back transaction wrote was never committed: nothing to announce. */
  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    if (!queryRunner.isTransactionActive) delete queryRunner.data[WROTE_EVENTS];
  }

  /** Calls `wake` each time events committed by this process are announced; answers the unsubscribe. */
  onAnnounce(wake: () => void): () => void {
    this.local.add(wake);
    return () => this.local.delete(wake);
  }

  /**
   * The wake-ups of a loop that follows the log: in-process for this process's commits, by
   * NOTIFY for every other process's (this process's own notifications are passed over).
   */
  get wakeUps(): Pick<NotifiedLoopOptions, 'channel' | 'ignorePayload' | 'wakeInProcess'> {
    return { channel: EVENTS_CHANNEL, ignorePayload: this.origin, wakeInProcess: (wake) => this.onAnnounce(wake) };
  }

  /** Tells the followers that events were committed. */
  announce(): void {
    if (this.closed) return;
    for (const wake of this.local) wake();
    this.notifyOthers();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.connection.close();
  }

  private notifyOthers(): void {
    // One due already covers this announcement; one on its way may have gone out before it.
    if (this.timer) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    const wait = this.lastSentAt + this.intervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.notifyOthers();
      }, wait);
      return;
    }
    this.sending = true;
    this.again = false;
    this.lastSentAt = Date.now();
    void this.send();
  }

  private async send(): Promise<void> {
    try {
      const client = await this.connection.get();
      await client.query(`NOTIFY ${EVENTS_CHANNEL}, '${this.origin}'`);
    } catch (e) {
      await this.connection.close();
      this.warn(e);
    }
    this.sending = false;
    if (this.again && !this.closed) this.notifyOthers();
  }

  private warn(e: unknown): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`Could not notify the log's followers (${(e as Error).message}); they will poll`);
  }
}
