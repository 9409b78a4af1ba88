import { LowerCaseUuid, PageQueryDto } from '@itn/core';
import { TRADE_STATUSES, type TradeStatus } from '@itn/events';
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

export const MAX_TRADE_LINES = 50;
export const MAX_TRADE_QUANTITY = 1_000_000;
/** Keeps every total (50 lines x quantity x price) an exact integer in JSON. */
export const MAX_UNIT_PRICE = 100_000_000;

export class TradeLineInputDto {
  @ApiProperty({ format: 'uuid' })
  @LowerCaseUuid()
  @IsUUID()
  readonly commodityId: string;

  @ApiProperty({ example: 10, minimum: 1, maximum: MAX_TRADE_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_TRADE_QUANTITY)
  readonly quantity: number;

  @ApiProperty({ example: 125, minimum: 0, maximum: MAX_UNIT_PRICE, description: 'Whole credits per unit' })
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_PRICE)
  readonly unitPrice: number;
}

export class CreateTradeDto {
  @ApiProperty({ format: 'uuid', description: 'The station selling; its stock is reserved at once' })
  @LowerCaseUuid()
  @IsUUID()
  readonly sellerStationId: string;

  @ApiProperty({ format: 'uuid', description: 'The station buying; the goods travel there' })
  @LowerCaseUuid()
  @IsUUID()
  readonly buyerStationId: string;

  @ApiProperty({ type: [TradeLineInputDto], minItems: 1, maxItems: MAX_TRADE_LINES })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TRADE_LINES)
  @ArrayUnique((line: TradeLineInputDto) => line?.commodityId, { message: 'items must not repeat a commodity' })
  @ValidateNested({ each: true })
  @Type(() => TradeLineInputDto)
  readonly items: TradeLineInputDto[];
}

export class ListTradesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Trades where this station sells or buys' })
  @IsOptional()
  @LowerCaseUuid()
  @IsUUID()
  readonly stationId?: string;

  @ApiPropertyOptional({ enum: TRADE_STATUSES })
  @IsOptional()
  @IsIn(TRADE_STATUSES)
  readonly status?: TradeStatus;
}

export class TradeLineDto {
  @ApiProperty({ format: 'uuid' })
  commodityId: string;

  @ApiProperty({ example: 10 })
  quantity: number;

  @ApiProperty({ example: 125 })
  unitPrice: number;

  @ApiProperty({ example: 1250, description: 'quantity x unitPrice' })
  lineTotal: number;
}

export class TradeDto {
  @ApiProperty({ format: 'uuid' })
  transactionId: string;

  @ApiProperty({ enum: TRADE_STATUSES, example: 'pending' })
  status: TradeStatus;

  @ApiProperty({ format: 'uuid' })
  sellerStationId: string;

  @ApiProperty({ format: 'uuid' })
  buyerStationId: string;

  @ApiProperty({ type: [TradeLineDto] })
  items: TradeLineDto[];

  @ApiProperty({ example: 1250, description: 'Whole credits' })
  totalPrice: number;

  @ApiProperty({ format: 'uuid', description: 'The shipment carrying the goods; follow it at /api/cargo/{id}' })
  shipmentId: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
