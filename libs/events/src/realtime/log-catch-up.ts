import { DomainError } from '@itn/core';
import { HttpStatus, Injectable } from '@nestjs/common';
import { EventFollower } from '../event-follower.service';
import { comparePositions, EventLogReader, LOG_START, LogEvent, LogPosition } from '../event-log.reader';
import { RealtimeLimits } from './realtime-limits';

const BATCH = 1000;

/** A resume point further back than a replay may go (REPLAY_MAX_EVENTS, or the retention window). */
export class ReplayTooLongError extends DomainError {
  constructor(limit: number) {
    super(
      'UPDATES.REPLAY_TOO_LONG',
      `More than ${limit} events (or events past the retention window) were missed since that event: ` +
        'page through them with GET /api/updates/real-time?after=<id>, then subscribe from the last one',
      HttpStatus.CONFLICT,
      { maxEvents: limit },
    );
  }
}

/**
 * Replays the log from `after` up to what this process has already handed out live, then
 * calls `goLive` in the same tick as the last check, so the client gets no gap and no
 * duplicate between the replay and the live events that follow.
 */
@Injectable()
export class LogCatchUp {
  constructor(
    private readonly reader: EventLogReader,
    private readonly follower: EventFollower,
    private readonly limits: RealtimeLimits,
  ) {}

  /**
   * Where a replay after this event id (undefined: from now) starts, once it is known to hand
   * out at most REPLAY_MAX_EVENTS events of these stations and to miss nothing pruned; throws
   * ReplayTooLongError otherwise. It counts through the log's indexes, up to the limit.
   */
  async resumePoint(afterEventId: string | undefined, stationIds: string[] | null): Promise<LogPosition> {
    const live = this.follower.position ?? LOG_START;
    if (afterEventId === undefined) return live;
    const from = await this.reader.positionOf(afterEventId);
    const max = this.limits.replayMaxEvents;
    const tooLong =
      (await this.reader.prunedAfter(afterEventId)) ||
      (comparePositions(from, live) < 0 &&
        (await this.reader.countUpTo(from, { upTo: live, stationIds, limit: max + 1 })) > max);
    if (tooLong) {
      this.limits.refused('replay');
      throw new ReplayTooLongError(max);
    }
    return from;
  }

  async replayThenGoLive(
    after: LogPosition,
    stationIds: string[] | null,
    emit: (e: LogEvent) => void,
    goLive: () => void,
  ): Promise<number> {
    let from = after;
    let replayed = 0;
    for (;;) {
      const upTo = this.follower.position;
      if (!upTo || comparePositions(from, upTo) >= 0) {
        goLive();
        return replayed;
      }
      const batch = await this.reader.read(from, { upTo, stationIds, limit: BATCH });
      for (const e of batch) {
        emit(e);
        replayed++;
      }
      from = batch.length === BATCH ? batch[batch.length - 1].position : upTo;
    }
  }
}
