import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorResponseDto {
  @ApiProperty({ example: 409 })
  statusCode: number;

  @ApiProperty({ example: 'INVENTORY.INSUFFICIENT_STOCK', description: 'Stable machine-readable error code' })
  code: string;

  @ApiProperty({ example: 'Not enough available stock of ORE-IRON at station EAR-01' })
  message: string;

  @ApiPropertyOptional({
    description: 'Extra context; for validation errors the failing fields',
    example: [{ field: 'items.0.quantity', errors: ['quantity must not be less than 1'] }],
  })
  details?: unknown;

  @ApiProperty({ example: '6f1c2e0a-3c1f-4e55-9d2c-0c6c8c2f9b11' })
  requestId: string;
}
