import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsNumber, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MaxDecimals } from '@itn/core';
import { Commodity } from '../entities/commodity.entity';
import { trim } from './planet.dto';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;

export class CreateCommodityDto {
  @ApiProperty({
    example: 'ORE-IRON',
    pattern: SKU_PATTERN.source,
    description: 'Unique; upper-case letters, digits, dashes',
  })
  @IsString()
  @Matches(SKU_PATTERN, { message: 'sku must be 2-32 upper-case letters, digits or dashes' })
  readonly sku: string;

  @ApiProperty({ example: 'Iron ore', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  readonly name: string;

  @ApiProperty({
    example: 0.5,
    minimum: 0.001,
    maximum: 10_000,
    description: 'Cubic metres per unit, up to 3 decimals',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(3)
  @Min(0.001)
  @Max(10_000)
  readonly unitVolume: number;

  @ApiProperty({ example: 2500, minimum: 0, maximum: 1_000_000, description: 'Kilograms per unit, up to 3 decimals' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimals(3)
  @Min(0)
  @Max(1_000_000)
  readonly unitMass: number;
}

export class CommodityDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ORE-IRON' })
  sku: string;

  @ApiProperty({ example: 'Iron ore' })
  name: string;

  @ApiProperty({ example: 0.5 })
  unitVolume: number;

  @ApiProperty({ example: 2500 })
  unitMass: number;

  @ApiProperty()
  createdAt: Date;

  static from(this: void, c: Commodity): CommodityDto {
    return {
      id: c.id,
      sku: c.sku,
      name: c.name,
      unitVolume: c.unitVolume,
      unitMass: c.unitMass,
      createdAt: c.createdAt,
    };
  }
}
