import { LowerCaseUuid, PageQueryDto } from '@itn/core';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '@itn/events';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsUUID,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export const MAX_LINES = 50;
export const MAX_QUANTITY = 1_000_000;

export class ShipmentItemInputDto {
  @ApiProperty({ format: 'uuid' })
  @LowerCaseUuid()
  @IsUUID()
  readonly commodityId: string;

  @ApiProperty({ example: 25, minimum: 1, maximum: MAX_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  readonly quantity: number;
}

export class CreateShipmentDto {
  @ApiProperty({ format: 'uuid', description: 'Where the goods leave from; you must be a member (or admin)' })
  @LowerCaseUuid()
  @IsUUID()
  readonly originStationId: string;

  @ApiProperty({ format: 'uuid' })
  @LowerCaseUuid()
  @IsUUID()
  readonly destinationStationId: string;

  @ApiProperty({
    type: [ShipmentItemInputDto],
    minItems: 1,
    maxItems: MAX_LINES,
    description: 'One line per commodity',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LINES)
  @ArrayUnique((item: ShipmentItemInputDto) => item?.commodityId, { message: 'items must not repeat a commodity' })
  @ValidateNested({ each: true })
  @Type(() => ShipmentItemInputDto)
  readonly items: ShipmentItemInputDto[];
}

export class ListShipmentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Shipments from or to this station; traders see only their stations',
  })
  @IsOptional()
  @LowerCaseUuid()
  @IsUUID()
  readonly stationId?: string;

  @ApiPropertyOptional({ enum: SHIPMENT_STATUSES })
  @IsOptional()
  @IsIn(SHIPMENT_STATUSES)
  readonly status?: ShipmentStatus;
}

export class ShipmentItemDto {
  @ApiProperty({ format: 'uuid' })
  commodityId: string;

  @ApiProperty({ example: 25 })
  quantity: number;
}

export class TimelineEntryDto {
  @ApiProperty({ enum: SHIPMENT_STATUSES })
  status: ShipmentStatus;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiPropertyOptional()
  note?: string;
}

export class ShipmentDto {
  @ApiProperty({ format: 'uuid' })
  shipmentId: string;

  @ApiProperty({ enum: SHIPMENT_STATUSES, example: 'scheduled' })
  status: ShipmentStatus;

  @ApiProperty({ format: 'uuid' })
  originStationId: string;

  @ApiProperty({ format: 'uuid' })
  destinationStationId: string;

  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The trade this shipment carries, if any' })
  tradeId: string | null;

  @ApiProperty({ type: [ShipmentItemDto] })
  items: ShipmentItemDto[];

  @ApiProperty({ example: 12.5, description: 'Cubic metres' })
  volume: number;

  @ApiProperty({ example: 2.38 })
  distanceAu: number;

  @ApiProperty({ format: 'date-time', description: 'When loading ends and the ship leaves' })
  dispatchAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  departedAt: string | null;

  @ApiProperty({ format: 'date-time', description: 'Expected arrival (re-estimated at departure)' })
  eta: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  deliveredAt: string | null;

  @ApiProperty({ nullable: true, type: String })
  failureReason: string | null;

  @ApiProperty({ type: [TimelineEntryDto] })
  timeline: TimelineEntryDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
