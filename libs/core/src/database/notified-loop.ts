import { Logger } from '@nestjs/common';
import { Client } from 'pg';

export interface NotifiedLoopOptions {
  name: string;
  databaseUrl: string;
  /** The NOTIFY channel that wakes the loop. */
  channel: string;
  /** The safety-net poll when no notification comes. */
  pollMs: number;
  /** The least time between the starts of two rounds woken by notifications (0: none). */
  minIntervalMs?: number;
  /** Notifications with this payload are passed over (this process's own, which wake the loop in-process). */
  ignorePayload?: string;
  /** Subscribes to wake-ups from within the process and answers the unsubscribe; the loop listens while it runs. */
  wakeInProcess?: (wake: () => void) => () => void;
  /** One round of work; answers true when there is more to do at once. */
  round: () => Promise<boolean>;
}

/**
 * Runs `round` whenever a notification arrives on `channel` (LISTEN on a dedicated
 * connection) and at least every `pollMs`. A notification during a round starts the next
 * round as soon as `minIntervalMs` has passed since this one started, so none is lost and a
 * stream of notifications is served by a few rounds rather than one each; a round that
 * answers there is more to do is followed at once; a failed round is retried at the next
 * wake-up.
 */
export class NotifiedLoop {
  private readonly logger: Logger;
  private running = false;
  private pending = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private client: Client | null = null;
  private stopWaking: (() => void) | null = null;

  constructor(private readonly options: NotifiedLoopOptions) {
    this.logger = new Logger(options.name);
  }

  async start(): Promise<void> {
    this.running = true;
    this.stopWaking = this.options.wakeInProcess?.(() => this.nudge()) ?? null;
    await this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopWaking?.();
    this.stopWaking = null;
    this.wake?.();
    await this.loop;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  /** Starts a round now (or right after the running one). */
  nudge(): void {
    this.pending = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.pending = false;
      const startedAt = Date.now();
      try {
        if (await this.options.round()) continue;
      } catch (e) {
        this.logger.warn(`Round failed, retrying: ${(e as Error).message}`);
      }
      if (!this.client) await this.listen();
      if (!this.running) continue;
      if (!this.pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
      // However the next round was called for, it starts no sooner than minIntervalMs after this one.
      const wait = startedAt + (this.options.minIntervalMs ?? 0) - Date.now();
      if (wait > 0 && this.running) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async listen(): Promise<void> {
    if (!this.running) return;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: `itn-${this.options.name}`,
    });
    try {
      client.on('error', () => {
        // Lost the connection: poll until the next round listens again.
        if (this.client === client) this.client = null;
      });
      await client.connect();
      client.on('notification', (n) => {
        if (n.payload !== this.options.ignorePayload) this.nudge();
      });
      await client.query(`LISTEN ${this.options.channel}`);
      this.client = client;
    } catch (e) {
      await client.end().catch(() => undefined);
      this.logger.warn(`LISTEN unavailable, polling: ${(e as Error).message}`);
    }
  }
}
