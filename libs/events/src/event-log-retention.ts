import { Environment, Housekeeping } from '@itn/core';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { comparePositions, LogPosition } from './event-log.reader';

/** A reader of the log that needs the events after its position (the shipment relay). */
export interface EventLogHold {
  readonly name: string;
  /** The last event it has passed; nothing after it is pruned. */
  position(): Promise<LogPosition>;
}

/**
 * The event log's retention: history older than EVENT_RETENTION_DAYS is deleted (by the
 * scheduled maintenance, as a housekeeping task), but never an event that a registered reader
 * has not passed yet. With no reader registered nothing is pruned: the readers' positions are
 * theirs to tell, not this lib's to guess.
 */
@Injectable()
export class EventLogRetention implements OnModuleInit {
  private readonly logger = new Logger(EventLogRetention.name);
  private readonly holds = new Map<string, EventLogHold>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly housekeeping: Housekeeping,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  onModuleInit(): void {
    this.housekeeping.register({ name: 'events', run: () => this.prune() });
  }

  hold(hold: EventLogHold): void {
    if (this.holds.has(hold.name)) throw new Error(`The event log is already held by ${hold.name}`);
    this.holds.set(hold.name, hold);
  }

  /** Deletes the history past the retention window that every reader has passed; answers how many events. */
  async prune(): Promise<number> {
    if (this.holds.size === 0) {
      this.logger.warn('No reader of the event log is registered in this process; the log is not pruned');
      return 0;
    }
    const positions = await Promise.all([...this.holds.values()].map((h) => h.position()));
    const oldest = positions.reduce((a, b) => (comparePositions(a, b) <= 0 ? a : b));
    const [, deleted] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM events e
        WHERE e.created_at < now() - make_interval(days => $1)
          AND (e.tx_id, e.id) <= ($2::xid8, $3::bigint)`,
      [this.config.get('EVENT_RETENTION_DAYS', { infer: true }), oldest.txId, oldest.id],
    );
    return deleted;
  }
}
