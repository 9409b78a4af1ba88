import { ApiProperty } from '@nestjs/swagger';
import { IsNumber, Max, Min } from 'class-validator';

export const MAX_COORDINATE_AU = 1_000_000;

/** A point in space, in astronomical units. */
export class PositionDto {
  @ApiProperty({ example: 1.0, minimum: -MAX_COORDINATE_AU, maximum: MAX_COORDINATE_AU })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-MAX_COORDINATE_AU)
  @Max(MAX_COORDINATE_AU)
  readonly x: number;

  @ApiProperty({ example: 0.0, minimum: -MAX_COORDINATE_AU, maximum: MAX_COORDINATE_AU })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-MAX_COORDINATE_AU)
  @Max(MAX_COORDINATE_AU)
  readonly y: number;

  @ApiProperty({ example: 0.0, minimum: -MAX_COORDINATE_AU, maximum: MAX_COORDINATE_AU })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-MAX_COORDINATE_AU)
  @Max(MAX_COORDINATE_AU)
  readonly z: number;
}
