import { Environment, MetricsRegistry } from '@itn/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge } from 'prom-client';

/** Why a socket's connection or message was refused by a limit (a label of the refusals counter). */
export type LimitRefusal = 'sockets_per_user' | 'message_rate' | 'subscriptions' | 'replay' | 'disconnected_for_abuse';

/**
 * The limits of live delivery, as configured, in one place: the gateway and the SSE stream
 * enforce them, and /metrics shows each with the refusals it made.
 */
@Injectable()
export class RealtimeLimits {
  readonly socketsPerUser: number;
  readonly subscriptionsPerSocket: number;
  readonly messageBurst: number;
  readonly messagesPerSecond: number;
  readonly replayMaxEvents: number;
  private readonly refusals: Counter<'reason'>;

  constructor(config: ConfigService<Environment, true>, registry: MetricsRegistry) {
    this.socketsPerUser = config.get('SOCKET_MAX_PER_USER', { infer: true });
    this.subscriptionsPerSocket = config.get('SOCKET_MAX_SUBSCRIPTIONS', { infer: true });
    this.messageBurst = config.get('SOCKET_MESSAGE_BURST', { infer: true });
    this.messagesPerSecond = config.get('SOCKET_MESSAGES_PER_SECOND', { infer: true });
    this.replayMaxEvents = config.get('REPLAY_MAX_EVENTS', { infer: true });
    const limits = new Gauge({
      name: 'itn_realtime_limit',
      help: 'The configured limits of live delivery (Socket.IO and SSE)',
      labelNames: ['limit'],
      registers: [registry],
    });
    limits.set({ limit: 'sockets_per_user' }, this.socketsPerUser);
    limits.set({ limit: 'subscriptions_per_socket' }, this.subscriptionsPerSocket);
    limits.set({ limit: 'message_burst' }, this.messageBurst);
    limits.set({ limit: 'messages_per_second' }, this.messagesPerSecond);
    limits.set({ limit: 'replay_max_events' }, this.replayMaxEvents);
    this.refusals = new Counter({
      name: 'itn_realtime_limit_refusals_total',
      help: 'Connections, messages and replays refused by a limit of live delivery',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of [
      'sockets_per_user',
      'message_rate',
      'subscriptions',
      'replay',
      'disconnected_for_abuse',
    ] as const) {
      this.refusals.inc({ reason }, 0);
    }
  }

  refused(reason: LimitRefusal): void {
    this.refusals.inc({ reason });
  }

  /** A message budget for one socket. */
  messageBudget(): MessageBudget {
    return new MessageBudget(this.messageBurst, this.messagesPerSecond);
  }
}

/** The window over which refused messages are counted to tell abuse. */
const ABUSE_WINDOW_MS = 10_000;

/**
 * A token bucket: `burst` messages at once, refilled at `perSecond`. A client refused more
 * than twice its burst within ABUSE_WINDOW_MS keeps sending past its budget: it is abusing it.
 */
export class MessageBudget {
  private tokens: number;
  private last = Date.now();
  private refused = 0;
  private windowStart = Date.now();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }

  /** Whether one more message may be handled now (and takes it from the budget). */
  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (now - this.windowStart > ABUSE_WINDOW_MS) {
      this.windowStart = now;
      this.refused = 0;
    }
    this.refused += 1;
    return false;
  }

  /** Whether the client kept sending well past its budget. */
  get abused(): boolean {
    return this.refused > 2 * this.burst;
  }
}
