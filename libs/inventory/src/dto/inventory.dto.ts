import { LowerCaseUuid, PageQueryDto } from '@itn/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min, NotEquals } from 'class-validator';

export const MAX_ADJUSTMENT = 1_000_000_000;

export class StockItemDto {
  @ApiProperty({ format: 'uuid' })
  commodityId: string;

  @ApiProperty({ example: 'ORE-IRON' })
  sku: string;

  @ApiProperty({ example: 'Iron ore' })
  name: string;

  @ApiProperty({ example: 1200, description: 'Units physically at the station' })
  onHand: number;

  @ApiProperty({ example: 200, description: 'Units promised to trades or shipments not yet dispatched' })
  reserved: number;

  @ApiProperty({ example: 1000, description: 'onHand - reserved' })
  available: number;

  @ApiProperty({ example: 50, description: 'Units on their way to this station' })
  incoming: number;
}

export class InventoryDto {
  @ApiProperty({ format: 'uuid' })
  stationId: string;

  @ApiProperty({ type: [StockItemDto] })
  items: StockItemDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Last change of any level; null when empty',
  })
  updatedAt: string | null;
}

export class AdjustmentDto {
  @ApiProperty({ format: 'uuid' })
  @LowerCaseUuid()
  @IsUUID()
  readonly commodityId: string;

  @ApiProperty({
    example: 500,
    minimum: -MAX_ADJUSTMENT,
    maximum: MAX_ADJUSTMENT,
    description: 'Units added (positive) or removed (negative); never below what is reserved',
  })
  @IsInt()
  @NotEquals(0, { message: 'delta must not be zero' })
  @Min(-MAX_ADJUSTMENT)
  @Max(MAX_ADJUSTMENT)
  readonly delta: number;

  @ApiProperty({ example: 'Restock from the refinery', maxLength: 200, description: 'Why; kept in the ledger' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  readonly reason: string;
}

export class LedgerEntryDto {
  @ApiProperty({ example: '42', description: 'Ledger entry id (a decimal string)' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  stationId: string;

  @ApiProperty({ format: 'uuid' })
  commodityId: string;

  @ApiProperty({ example: -20 })
  delta: number;

  @ApiProperty({ example: 980 })
  balanceAfter: number;

  @ApiProperty({
    example: 'adjustment',
    enum: ['adjustment', 'trade_dispatch', 'shipment_dispatch', 'shipment_delivery', 'shipment_return'],
  })
  reason: string;

  @ApiProperty({ nullable: true, type: String, example: 'shipment' })
  referenceType: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'uuid' })
  referenceId: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'Who made the change, when a person did' })
  actorId: string | null;

  @ApiProperty({ nullable: true, type: String })
  note: string | null;

  @ApiProperty()
  createdAt: Date;
}

export class AdjustmentResultDto {
  @ApiProperty({ type: StockItemDto })
  level: StockItemDto;

  @ApiProperty({ type: LedgerEntryDto })
  ledgerEntry: LedgerEntryDto;
}

export class LedgerQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this commodity' })
  @IsOptional()
  @LowerCaseUuid()
  @IsUUID()
  readonly commodityId?: string;
}
