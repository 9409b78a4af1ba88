import { preparedQuery } from '@itn/core';
import { Injectable } from '@nestjs/common';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { EventType, LoggedEvent } from './event-types';

/**
 * A place in the log. The log is read in (writing transaction id, event id) order and only
 * below the oldest running transaction, so the sequence readers see never gains an event
 * before a place they have already passed: no gap, whatever order transactions commit in.
 */
export interface LogPosition {
  txId: string;
  id: string;
}

export const LOG_START: LogPosition = { txId: '0', id: '0' };

interface EventRow {
  id: string;
  tx_id: string;
  type: EventType;
  station_ids: string[];
  payload: unknown;
  created_at: Date;
}

export interface LogEvent {
  position: LogPosition;
  event: LoggedEvent;
}

function toLogEvent(r: EventRow): LogEvent {
  return {
    position: { txId: r.tx_id, id: r.id },
    event: {
      id: r.id,
      type: r.type,
      stationIds: r.station_ids,
      occurredAt: new Date(r.created_at).toISOString(),
      data: r.payload as LoggedEvent['data'],
    },
  };
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  const tx = BigInt(a.txId) - BigInt(b.txId);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const id = BigInt(a.id) - BigInt(b.id);
  return id === 0n ? 0 : id < 0n ? -1 : 1;
}

@Injectable()
export class EventLogReader {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Events after `after` (and up to `upTo`, when given), in log order, optionally only those
   * that concern one of `stationIds`; read on `on` when given, on the pool otherwise.
   */
  async read(
    after: LogPosition,
    opts: { upTo?: LogPosition; stationIds?: string[] | null; limit: number; on?: Client },
  ): Promise<LogEvent[]> {
    const rows = await preparedQuery<EventRow>(
      opts.on ?? this.dataSource.manager,
      'events_read',
      // Ordered by the columns, not by the text the select list makes of them (which an
      // unqualified ORDER BY tx_id, id would sort by: '100000' < '99999').
      `SELECT e.id::text, e.tx_id::text, e.type, e.station_ids, e.payload, e.created_at
         FROM events e
        WHERE (e.tx_id, e.id) > ($1::xid8, $2::bigint)
          AND e.tx_id >= $1::xid8 -- the planner cannot estimate the row comparison; this bound it can
          AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
          AND ($3::xid8 IS NULL OR (e.tx_id, e.id) <= ($3::xid8, $4::bigint))
          AND ($5::uuid[] IS NULL OR e.station_ids && $5::uuid[])
        ORDER BY e.tx_id, e.id
        LIMIT $6`,
      [after.txId, after.id, opts.upTo?.txId ?? null, opts.upTo?.id ?? null, opts.stationIds ?? null, opts.limit],
    );
    return rows.map(toLogEvent);
  }

  /** The place of an event id a client last saw; an id no longer in the log resumes just before the next one. */
  async positionOf(eventId: string): Promise<LogPosition> {
    const [row] = await this.dataSource.query<{ tx_id: string; id: string }[]>(
      `SELECT tx_id::text, id::text FROM events WHERE id = $1`,
      [eventId],
    );
    if (row) return { txId: row.tx_id, id: row.id };
    const [next] = await this.dataSource.query<{ tx_id: string; id: string }[]>(
      `SELECT e.tx_id::text, (e.id - 1)::text AS id FROM events e WHERE e.id > $1 ORDER BY e.id LIMIT 1`,
      [eventId],
    );
    return next ? { txId: next.tx_id, id: next.id } : await this.head();
  }

  /**
   * How many events a replay from `after` up to `upTo` would hand out, counted up to `limit`
   * (through the same indexes as read); `limit` when there are at least that many.
   */
  async countUpTo(
    after: LogPosition,
    opts: { upTo: LogPosition; stationIds: string[] | null; limit: number },
  ): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM events e
          WHERE (e.tx_id, e.id) > ($1::xid8, $2::bigint)
            AND e.tx_id >= $1::xid8
            AND (e.tx_id, e.id) <= ($3::xid8, $4::bigint)
            AND ($5::uuid[] IS NULL OR e.station_ids && $5::uuid[])
          LIMIT $6) s`,
      [after.txId, after.id, opts.upTo.txId, opts.upTo.id, opts.stationIds, opts.limit],
    );
    return row.n;
  }

  /**
   * Whether events after this id may have been pruned (the retention window): the oldest event
   * kept is later than the one after it, and the log no longer starts at its first id.
   */
  async prunedAfter(eventId: string): Promise<boolean> {
    const [row] = await this.dataSource.query<{ pruned: boolean }[]>(
      `SELECT coalesce(min(id) > $1::bigint + 1 AND min(id) > 1, false) AS pruned FROM events`,
      [eventId],
    );
    return row.pruned;
  }

  /** The place just after everything committed so far. */
  async head(): Promise<LogPosition> {
    const [row] = await this.dataSource.query<{ tx_id: string | null; id: string | null }[]>(
      `SELECT e.tx_id::text, e.id::text FROM events e
        WHERE e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.tx_id DESC, e.id DESC LIMIT 1`,
    );
    return row?.tx_id ? { txId: row.tx_id, id: row.id! } : LOG_START;
  }
}
