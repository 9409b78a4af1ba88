import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

/** Open SSE responses, ended on shutdown so the HTTP server can close (clients reconnect with Last-Event-ID). */
@Injectable()
export class SseStreams {
  private readonly open = new Set<ServerResponse>();

  add(response: ServerResponse): () => void {
    this.open.add(response);
    return () => this.open.delete(response);
  }

  get size(): number {
    return this.open.size;
  }

  beforeApplicationShutdown(): void {
    for (const response of this.open) response.end();
    this.open.clear();
  }
}
