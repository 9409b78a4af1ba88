import { io, Socket } from 'socket.io-client';

export interface ReceivedEvent {
  id: string;
  type: string;
  stationIds: string[];
  occurredAt: string;
  data: Record<string, unknown>;
}

export const EVENT_TYPES = ['inventory.changed', 'shipment.status_changed', 'trade.created', 'trade.status_changed'];

/** A Socket.IO client that records every event it receives, in order. */
export class RealtimeClient {
  readonly received: ReceivedEvent[] = [];
  private constructor(readonly socket: Socket) {
    for (const type of EVENT_TYPES) socket.on(type, (e: ReceivedEvent) => this.received.push(e));
  }

  static connect(url: string, token: string | undefined): Promise<RealtimeClient> {
    const socket = io(url, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: token ? { token } : {},
      reconnection: false,
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RealtimeClient(socket)));
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
  }

  subscribe(stationId: string, after?: string): Promise<{ ok: boolean; code?: string; replayed?: number }> {
    return this.socket
      .timeout(10_000)
      .emitWithAck('subscribe', after === undefined ? { stationId } : { stationId, after });
  }

  async waitFor(predicate: (e: ReceivedEvent) => boolean, timeoutMs = 30_000): Promise<ReceivedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`event not received; got ${this.received.length} events`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** Reads a Server-Sent Events stream until `count` events arrived, `until` matched one, or the time is up. */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  count: number,
  timeoutMs = 15_000,
  until?: (e: { id: string; event: string; data: ReceivedEvent }) => boolean,
): Promise<{ id: string; event: string; data: ReceivedEvent }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: { id: string; event: string; data: ReceivedEvent }[] = [];
  try {
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: controller.signal });
    if (res.status !== 200) throw new Error(`SSE answered ${res.status}`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (events.length < count && !(until && events.some(until))) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const taken = takeSseFrames(buffer);
      buffer = taken.rest;
      for (const frame of taken.frames) {
        if (frame.data) events.push({ id: frame.id, event: frame.event, data: JSON.parse(frame.data) });
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

/** The complete frames at the start of an SSE buffer (their fields; comments dropped), and what is left. */
export function takeSseFrames(buffer: string): { frames: Record<string, string>[]; rest: string } {
  const frames: Record<string, string>[] = [];
  let cut: number;
  while ((cut = buffer.indexOf('\n\n')) >= 0) {
    const frame = buffer.slice(0, cut);
    buffer = buffer.slice(cut + 2);
    frames.push(
      Object.fromEntries(
        frame
          .split('\n')
          .filter((l) => !l.startsWith(':') && l.includes(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
      ),
    );
  }
  return { frames, rest: buffer };
}
