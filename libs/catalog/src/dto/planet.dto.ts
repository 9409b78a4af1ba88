import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';
import { Planet } from '../entities/planet.entity';
import { PositionDto } from './position.dto';

export const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreatePlanetDto {
  @ApiProperty({ example: 'Kepler-22b', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  readonly name: string;

  @ApiProperty({ type: PositionDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => PositionDto)
  readonly position: PositionDto;
}

export class PlanetDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Kepler-22b' })
  name: string;

  @ApiProperty({ type: PositionDto })
  position: PositionDto;

  @ApiProperty()
  createdAt: Date;

  static from(this: void, p: Planet): PlanetDto {
    return {
      id: p.id,
      name: p.name,
      position: { x: p.positionX, y: p.positionY, z: p.positionZ },
      createdAt: p.createdAt,
    };
  }
}
