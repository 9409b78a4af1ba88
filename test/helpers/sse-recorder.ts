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
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(
            frame
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
          );
          if (fields.data) {
            this.events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
          }
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }
}
