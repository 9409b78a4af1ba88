import { takeSseFrames } from './realtime-client';

/** One Server-Sent Event as the client parsed it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** An open SSE stream that records every event it receives, and whether the server ended it. */
export class SseRecorder {
  readonly events: SseEvent[] = [];
  ended = false;
  /** The answer's body when the stream was refused (not 200). */
  errorBody: unknown;

  private constructor(
    readonly status: number,
    private readonly controller: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string>): Promise<SseRecorder> {
    const controller = new AbortController();
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: controller.signal });
    const recorder = new SseRecorder(res.status, controller);
    if (res.status === 200) void recorder.read(res.body!.getReader());
    else {
      recorder.errorBody = await res.json();
      recorder.ended = true;
    }
    return recorder;
  }

  /** Waits until an event matches, or throws after `timeoutMs`. */
  async waitFor(predicate: (e: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`SSE event not received; got ${JSON.stringify(this.events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits until the server ends the stream, or throws after `timeoutMs`. */
  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('the SSE stream was not ended by the server');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const taken = takeSseFrames(buffer);
        buffer = taken.rest;
        for (const frame of taken.frames) {
          if (frame.data) this.events.push({ id: frame.id, event: frame.event, data: JSON.parse(frame.data) });
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }
}
