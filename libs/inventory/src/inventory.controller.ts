import { AuthUser, CurrentUser, StationAccess } from '@itn/auth';
import { ApiErrorResponses, ApiPageResponse, Page, UuidParam } from '@itn/core';
import { Body, Controller, Get, Headers, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdjustmentDto, AdjustmentResultDto, InventoryDto, LedgerEntryDto, LedgerQueryDto } from './dto/inventory.dto';
import { InventoryService, type InventorySnapshot } from './inventory.service';

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim() === etag);
}

/**
 * Sets the answer's status and headers for a station's inventory, and returns the body to
 * send: none (304) when If-None-Match names its ETag. Shared with the read shortcut of @itn/fast-path.
 */
export function inventoryAnswer(
  reply: FastifyReply,
  { body, etag }: InventorySnapshot,
  ifNoneMatch: string | undefined,
): Buffer | undefined {
  void reply.header('etag', etag).header('cache-control', 'private, no-cache');
  if (matchesEtag(ifNoneMatch, etag)) {
    void reply.status(HttpStatus.NOT_MODIFIED);
    return undefined;
  }
  // Already serialized and encoded (and possibly cached that way): sent as is.
  void reply.type('application/json; charset=utf-8');
  return body;
}

@ApiTags('inventory')
@ApiBearerAuth('bearer')
@Controller('inventory/:stationId')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get()
  @StationAccess('params.stationId')
  @ApiOperation({
    summary: 'Stock levels of a station',
    description: 'Carries a strong ETag; send it back in If-None-Match to get 304 while nothing changed.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier answer' })
  @ApiOkResponse({ type: InventoryDto })
  @ApiResponse({ status: 304, description: 'Not modified since the ETag sent' })
  @ApiErrorResponses(400, 401, 403, 404)
  async get(
    @Param('stationId', UuidParam) stationId: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer | undefined> {
    return inventoryAnswer(reply, await this.inventory.getInventory(stationId), ifNoneMatch);
  }

  @Post('adjustments')
  @StationAccess('params.stationId')
  @ApiOperation({
    summary: 'Add or remove stock (members of the station and admins)',
    description: 'Atomic; never takes onHand below what is reserved (409 INVENTORY.INSUFFICIENT_STOCK).',
  })
  @ApiCreatedResponse({ type: AdjustmentResultDto })
  @ApiErrorResponses(400, 401, 403, 404, 409)
  adjust(
    @CurrentUser() user: AuthUser,
    @Param('stationId', UuidParam) stationId: string,
    @Body() dto: AdjustmentDto,
  ): Promise<AdjustmentResultDto> {
    return this.inventory.adjust(user.id, stationId, dto);
  }

  @Get('ledger')
  @StationAccess('params.stationId')
  @ApiOperation({ summary: 'The stock ledger of a station, newest first' })
  @ApiPageResponse(LedgerEntryDto)
  @ApiErrorResponses(400, 401, 403)
  ledger(
    @Param('stationId', UuidParam) stationId: string,
    @Query() query: LedgerQueryDto,
  ): Promise<Page<LedgerEntryDto>> {
    return this.inventory.ledger(stationId, query);
  }
}
