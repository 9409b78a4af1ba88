import { DedicatedConnection, Environment } from '@itn/core';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
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
 * Tells the followers of the event log, in this process and in every other, that events were
 * committed: `NOTIFY itn_events`, sent once the writing transaction has committed, from a
 * connection of its own, at most one at a time (announcements made while one is on its way
 * are folded into the next).
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
  private readonly connection: DedicatedConnection;
  private sending = false;
  private again = false;
  private closed = false;
  private lastWarning = 0;

  constructor(dataSource: DataSource, config: ConfigService<Environment, true>) {
    this.connection = new DedicatedConnection({
      databaseUrl: config.get('DATABASE_URL', { infer: true }),
      applicationName: 'itn-event-signal',
    });
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

  /** Tells the followers that events were committed. */
  announce(): void {
    if (this.closed) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    void this.send();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.connection.close();
  }

  private async send(): Promise<void> {
    do {
      this.again = false;
      if (this.closed) break;
      try {
        const client = await this.connection.get();
        await client.query(`NOTIFY ${EVENTS_CHANNEL}`);
      } catch (e) {
        await this.connection.close();
        this.warn(e);
      }
    } while (this.again && !this.closed);
    this.sending = false;
  }

  private warn(e: unknown): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`Could not notify the log's followers (${(e as Error).message}); they will poll`);
  }
}
