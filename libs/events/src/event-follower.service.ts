import { DedicatedConnection, Environment, NotifiedLoop } from '@itn/core';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventLogReader, LogEvent, LogPosition } from './event-log.reader';
import { EventLogSignal } from './event-log.signal';

export type EventListener = (e: LogEvent) => void;

const BATCH = 1000;

/**
 * Follows the event log for this process: woken when a transaction that wrote events commits
 * (in-process for this process's own, by LISTEN/NOTIFY for others'; with a slow poll as a
 * safety net), it reads what is new in log order and hands each event, once and in order, to
 * the listeners (the Socket.IO gateway, SSE streams). It reads on a connection of its own: a
 * pool busy with requests would otherwise hold every live update back behind them.
 */
@Injectable()
export class EventFollower implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventFollower.name);
  private readonly listeners = new Set<EventListener>();
  private readonly loop: NotifiedLoop;
  private readonly connection: DedicatedConnection;
  private current: LogPosition | null = null;
  /** Milliseconds from commit to hand-off of the last event. */
  lastLagMs = 0;

  constructor(
    private readonly reader: EventLogReader,
    signal: EventLogSignal,
    config: ConfigService<Environment, true>,
  ) {
    const databaseUrl = config.get('DATABASE_URL', { infer: true });
    this.connection = new DedicatedConnection({
      databaseUrl,
      applicationName: 'itn-event-follower',
      statementTimeoutMs: config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true }),
    });
    this.loop = new NotifiedLoop({
      name: EventFollower.name,
      databaseUrl,
      ...signal.wakeUps,
      pollMs: config.get('RELAY_POLL_MS', { infer: true }),
      minIntervalMs: config.get('LOG_READ_INTERVAL_MS', { infer: true }),
      round: async () => (await this.followOnce()) === BATCH,
    });
  }

  /** Everything up to here has been handed to the listeners. */
  get position(): LogPosition | null {
    return this.current;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.current = await this.reader.head();
    await this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.connection.close();
  }

  /** Reads and hands off what is new; answers how many events. */
  async followOnce(): Promise<number> {
    if (!this.current) return 0;
    const batch = await this.reader
      .read(this.current, { limit: BATCH, on: await this.connection.get() })
      .catch(async (e: unknown) => {
        // A broken connection is replaced at the next round.
        await this.connection.close();
        throw e;
      });
    for (const e of batch) {
      this.current = e.position;
      this.lastLagMs = Date.now() - Date.parse(e.event.occurredAt);
      for (const listener of this.listeners) {
        try {
          listener(e);
        } catch (err) {
          this.logger.error(`Event listener failed: ${(err as Error).message}`);
        }
      }
    }
    return batch.length;
  }
}
