import {
  AuthUser,
  bearerToken,
  CurrentUser,
  scopeOf,
  StationAccess,
  StationAccessPolicy,
  TokensService,
} from '@itn/auth';
import { ApiErrorResponses } from '@itn/core';
import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { EventFollower } from '../event-follower.service';
import { EventLogReader, LOG_START, LogEvent, LogPosition } from '../event-log.reader';
import { AccessChanges } from './access-changes';
import { LogCatchUp } from './log-catch-up';
import { SseStreams } from './sse-streams';
import { UpdatesPageDto, UpdatesQueryDto } from './updates.dto';

const HEARTBEAT_MS = 15_000;

function sseFrame(e: LogEvent): string {
  return `id: ${e.event.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`;
}

@ApiTags('updates')
@ApiBearerAuth('bearer')
@Controller('updates')
export class UpdatesController {
  constructor(
    private readonly reader: EventLogReader,
    private readonly follower: EventFollower,
    private readonly catchUp: LogCatchUp,
    private readonly access: StationAccessPolicy,
    private readonly streams: SseStreams,
    private readonly accessChanges: AccessChanges,
    private readonly tokens: TokensService,
  ) {}

  @Get('real-time')
  @StationAccess('query.stationId')
  @ApiOperation({
    summary: 'Events of the log: a page for polling, or a live SSE stream',
    description:
      'With `Accept: application/json`: the events after `after`, in log order, and `nextCursor` to poll again. ' +
      'With `Accept: text/event-stream`: the same sequence as Server-Sent Events (`id:` is the event id, ' +
      '`event:` its type), first what came after `after` or `Last-Event-ID`, then live, with a heartbeat ' +
      'comment every 15 s. Traders see the events of their stations; admins see all.',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'SSE resume: the id of the last event received' })
  @ApiOkResponse({ type: UpdatesPageDto })
  @ApiErrorResponses(400, 401, 403)
  async realTime(
    @CurrentUser() user: AuthUser,
    @Query() query: UpdatesQueryDto,
    @Headers('accept') accept: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const stationIds = await this.access.scope(user, query.stationId);
    if (accept?.includes('text/event-stream')) {
      const resumeFrom = lastEventId && /^[0-9]{1,18}$/.test(lastEventId) ? lastEventId : query.after;
      // Refused (too far back) before the stream starts, as an answer in the error format.
      const from = await this.catchUp.resumePoint(resumeFrom, stationIds);
      this.stream(request, reply, user, query.stationId, stationIds, from, this.tokenExpiry(request));
      return;
    }
    const after = query.after === undefined ? LOG_START : await this.reader.positionOf(query.after);
    const events =
      stationIds !== null && stationIds.length === 0
        ? []
        : await this.reader.read(after, { stationIds, limit: query.limit });
    const body: UpdatesPageDto = {
      events: events.map((e) => e.event),
      nextCursor: events.length > 0 ? events[events.length - 1].event.id : (query.after ?? null),
    };
    await reply.send(body);
  }

  /** When the caller's access token expires (now, if it no longer verifies: the guard let it in a moment ago). */
  private tokenExpiry(request: FastifyRequest): number {
    const token = bearerToken(request.headers.authorization);
    try {
      return token ? this.tokens.verifyAccessToken(token).expiresAt : Date.now();
    } catch {
      return Date.now();
    }
  }

  /**
   * The live stream. It ends, with a last event saying why, when the access token expires
   * (`session.expired`), when the account is removed (`session.closed`) and when the user may
   * no longer follow the station asked for (`subscription.revoked`); a trader who follows all
   * their stations keeps following those they are still a member of.
   */
  private stream(
    request: FastifyRequest,
    reply: FastifyReply,
    user: AuthUser,
    requested: string | undefined,
    stationIds: string[] | null,
    from: LogPosition,
    expiresAt: number,
  ): void {
    // The headers the hooks set so far (security, CORS, rate limit) go out with the stream's own.
    const headers = reply.getHeaders() as OutgoingHttpHeaders;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    raw.write(': connected\n\n');

    let wanted = stationIds === null ? null : new Set(stationIds);
    const matches = (e: LogEvent) => wanted === null || e.event.stationIds.some((s) => wanted!.has(s));
    let live = false;
    let unsubscribe = () => {};
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
    const forget = this.streams.add(raw);
    const unwatch = this.accessChanges.watch(user.id, (access) => {
      const scope = scopeOf(access, requested);
      if (access === null) return end('session.closed', { code: 'AUTH.ACCOUNT_REMOVED' });
      if (requested !== undefined && scope?.length === 0) {
        return end('subscription.revoked', { stationId: requested, code: 'AUTH.STATION_FORBIDDEN' });
      }
      wanted = scope === null ? null : new Set(scope);
    });
    const expiry = setTimeout(() => end('session.expired', { code: 'AUTH.TOKEN_EXPIRED' }), expiresAt - Date.now());
    const close = () => {
      clearInterval(heartbeat);
      clearTimeout(expiry);
      unwatch();
      unsubscribe();
      forget();
    };
    const end = (type: string, data: object) => {
      close();
      if (!raw.destroyed) raw.end(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    request.raw.on('close', close);

    const goLive = () => {
      live = true;
      unsubscribe = this.follower.subscribe((e) => {
        if (matches(e)) raw.write(sseFrame(e));
      });
    };
    if (wanted !== null && wanted.size === 0) return goLive();
    void this.catchUp
      .replayThenGoLive(
        from,
        stationIds,
        (e) => {
          if (matches(e)) raw.write(sseFrame(e));
        },
        () => {
          if (!raw.destroyed && !raw.writableEnded && !live) goLive();
        },
      )
      .catch(() => raw.destroy());
  }
}
