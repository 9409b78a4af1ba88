import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LowerCaseUuid, PageQueryDto } from '@itn/core';
import { Transform, Type } from 'class-transformer';
import {
  IsInt,
  IsObject,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Station } from '../entities/station.entity';
import { trim } from './planet.dto';
import { PositionDto } from './position.dto';

export const STATION_CODE_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,15}$/;
export const MAX_STORAGE_CAPACITY = 1_000_000_000_000;

export class CreateStationDto {
  @ApiProperty({
    example: 'KEP-01',
    pattern: STATION_CODE_PATTERN.source,
    description: 'Unique; upper-case letters, digits, dashes',
  })
  @IsString()
  @Matches(STATION_CODE_PATTERN, { message: 'code must be 2-16 upper-case letters, digits or dashes' })
  readonly code: string;

  @ApiProperty({ example: 'Kepler Orbital One', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  readonly name: string;

  @ApiProperty({ format: 'uuid' })
  @LowerCaseUuid()
  @IsUUID()
  readonly planetId: string;

  @ApiPropertyOptional({ type: PositionDto, description: "Defaults to the planet's position" })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PositionDto)
  readonly position?: PositionDto;

  @ApiProperty({ example: 50_000, minimum: 1, maximum: MAX_STORAGE_CAPACITY, description: 'Cubic metres' })
  @IsInt()
  @Min(1)
  @Max(MAX_STORAGE_CAPACITY)
  readonly storageCapacity: number;
}

export class ListStationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only stations of this planet' })
  @IsOptional()
  @LowerCaseUuid()
  @IsUUID()
  readonly planetId?: string;
}

export class StationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'KEP-01' })
  code: string;

  @ApiProperty({ example: 'Kepler Orbital One' })
  name: string;

  @ApiProperty({ format: 'uuid' })
  planetId: string;

  @ApiProperty({ type: PositionDto })
  position: PositionDto;

  @ApiProperty({ example: 50_000, description: 'Cubic metres' })
  storageCapacity: number;

  @ApiProperty()
  createdAt: Date;

  static from(this: void, s: Station): StationDto {
    return {
      id: s.id,
      code: s.code,
      name: s.name,
      planetId: s.planetId,
      position: { x: s.positionX, y: s.positionY, z: s.positionZ },
      storageCapacity: s.storageCapacity,
      createdAt: s.createdAt,
    };
  }
}
