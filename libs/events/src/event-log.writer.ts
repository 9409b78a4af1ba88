import { preparedQuery } from '@itn/core';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EventLogSignal } from './event-log.signal';
import type { EventType, NewEvent } from './event-types';

/**
 * Appends events to the log. Always called with the caller's transaction, so an event
 * exists exactly when the change it describes was committed; the log's followers are told
 * once it has (EventLogSignal).
 */
@Injectable()
export class EventLogWriter {
  constructor(private readonly signal: EventLogSignal) {}

  async append(tx: EntityManager, events: NewEvent<EventType>[]): Promise<void> {
    if (events.length === 0) return;
    await preparedQuery(
      tx,
      'events_append',
      `INSERT INTO events (type, station_ids, payload)
       SELECT e.type, ARRAY(SELECT jsonb_array_elements_text(e.station_ids))::uuid[], e.payload
         FROM jsonb_to_recordset($1::jsonb) AS e(type text, station_ids jsonb, payload jsonb)`,
      [JSON.stringify(events.map((e) => ({ type: e.type, station_ids: e.stationIds, payload: e.data })))],
    );
    this.signal.written(tx);
  }
}
