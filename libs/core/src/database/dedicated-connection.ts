import { Client } from 'pg';

export interface DedicatedConnectionOptions {
  databaseUrl: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  statementTimeoutMs?: number;
}

/**
 * One PostgreSQL connection of its own, outside the pool, for a component that needs a
 * session (to hold a session lock, say) or must not wait behind the requests for a pooled
 * one. It is opened on first use and opened again on the next use after it was lost.
 */
export class DedicatedConnection {
  private client: Promise<Client> | null = null;

  constructor(private readonly options: DedicatedConnectionOptions) {}

  /** The open connection, or a new one when there is none. */
  get(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: this.options.applicationName,
      statement_timeout: this.options.statementTimeoutMs,
    });
    const connected = client.connect().then(
      () => client,
      async (e: unknown) => {
        await client.end().catch(() => undefined);
        throw e;
      },
    );
    const lost = () => {
      if (this.client === connected) this.client = null;
    };
    client.on('error', lost);
    client.on('end', lost);
    // A failed connect is not kept: the next call tries again.
    connected.catch(lost);
    this.client = connected;
    return connected;
  }

  /** Closes the connection (after a failure, or for good); the next `get` opens a new one. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.then((c) => c.end()).catch(() => undefined);
  }
}
