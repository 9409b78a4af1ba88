import type { EmbeddedPostgres } from '../libs/core/src/runtime/embedded-postgres';
import { EMBEDDED_SERVER } from './global-setup';

/** Stops the embedded PostgreSQL the global setup started, if it did. */
export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<symbol, EmbeddedPostgres | undefined>)[EMBEDDED_SERVER];
  await server?.stop();
}
