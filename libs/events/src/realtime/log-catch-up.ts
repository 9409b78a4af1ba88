import { Injectable } from '@nestjs/common';
import { EventFollower } from '../event-follower.service';
import { comparePositions, EventLogReader, LogEvent, LogPosition } from '../event-log.reader';

const BATCH = 1000;

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
  ) {}

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
