import { LowerCaseUuid } from '@itn/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { EVENT_TYPES, LoggedEvent } from '../event-types';

export const MAX_UPDATES_LIMIT = 500;

export class UpdatesQueryDto {
  @ApiPropertyOptional({
    example: '1042',
    description: 'The id of the last event seen; only later events are returned',
  })
  @IsOptional()
  @Matches(/^[0-9]{1,18}$/, { message: 'after must be an event id' })
  readonly after?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only events of this station (traders: one of theirs)' })
  @IsOptional()
  @LowerCaseUuid()
  @IsUUID()
  readonly stationId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_UPDATES_LIMIT, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_UPDATES_LIMIT)
  readonly limit: number = 100;
}

export class EventDto {
  @ApiProperty({ example: '1043', description: 'Event id (a decimal string); pass it back as `after`' })
  id: string;

  @ApiProperty({ enum: EVENT_TYPES, example: 'trade.created' })
  type: string;

  @ApiProperty({ type: [String], format: 'uuid', description: 'The stations the event concerns' })
  stationIds: string[];

  @ApiProperty({ format: 'date-time' })
  occurredAt: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Depends on the type' })
  data: Record<string, unknown>;
}

export class UpdatesPageDto {
  @ApiProperty({ type: [EventDto], description: 'In log order' })
  events: LoggedEvent[];

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass back as `after` to continue; null when nothing was ever seen',
  })
  nextCursor: string | null;
}
