import { Logger } from '@nestjs/common';
import { Client } from 'pg';

export interface NotifiedLoopOptions {
  name: string;
  databaseUrl: string;
  /** The NOTIFY channel that wakes the loop. */
  channel: string;
  /** The safety-net poll when no notification comes. */
  pollMs: number;
  /** One round of work; answers true when there is more to do at once. */
  round: () => Promise<boolean>;
}

/**
 * Runs `round` whenever a notification arrives on `channel` (LISTEN on a dedicated
 * connection) and at least every `pollMs`. A notification during a round starts the next
 * round at once, so none is lost; a failed round is retried at the next wake-up.
 */
export class NotifiedLoop {
  private readonly logger: Logger;
  private running = false;
  private pending = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private client: Client | null = null;

  constructor(private readonly options: NotifiedLoopOptions) {
    this.logger = new Logger(options.name);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
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
      try {
        if (await this.options.round()) continue;
      } catch (e) {
        this.logger.warn(`Round failed, retrying: ${(e as Error).message}`);
      }
      if (!this.client) await this.listen();
      if (this.pending || !this.running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
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
      client.on('notification', () => this.nudge());
      await client.query(`LISTEN ${this.options.channel}`);
      this.client = client;
    } catch (e) {
      await client.end().catch(() => undefined);
      this.logger.warn(`LISTEN unavailable, polling: ${(e as Error).message}`);
    }
  }
}
