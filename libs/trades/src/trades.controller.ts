import { AuthUser, CurrentUser, StationAccess } from '@itn/auth';
import {
  ApiErrorResponses,
  ApiIdempotencyKey,
  ApiPageResponse,
  ErrorBody,
  Idempotency,
  IdempotencyContext,
  Page,
  replyIdempotent,
  UuidParam,
} from '@itn/core';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateTradeDto, ListTradesQueryDto, TradeDto } from './dto/trade.dto';
import { TradesService } from './trades.service';

@ApiTags('trades')
@ApiBearerAuth('bearer')
@Controller('trades')
export class TradesController {
  constructor(private readonly trades: TradesService) {}

  @Post()
  @StationAccess('body.sellerStationId', 'body.buyerStationId')
  @ApiOperation({
    summary: 'Place a trade (members of the seller station, and admins)',
    description:
      'Members of the buyer station only are refused with 403 TRADE.SELLER_ONLY: the seller decides what it sells. ' +
      "Reserves the seller's stock for every line at once (409 INVENTORY.INSUFFICIENT_STOCK naming the commodity " +
      'otherwise) and creates the shipment that carries the goods. The trade goes in_transit when the shipment ' +
      'leaves and completed when it is delivered.',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: TradeDto })
  @ApiErrorResponses(400, 401, 403, 404, 409, 422)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateTradeDto,
    @Idempotency() idempotency: IdempotencyContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TradeDto | ErrorBody> {
    return replyIdempotent(reply, await this.trades.create(user, dto, idempotency));
  }

  @Get()
  @StationAccess('query.stationId')
  @ApiOperation({ summary: 'List trades, newest first (traders: of their stations)' })
  @ApiPageResponse(TradeDto)
  @ApiErrorResponses(400, 401, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListTradesQueryDto): Promise<Page<TradeDto>> {
    return this.trades.list(user, query);
  }

  @Get(':transactionId')
  @ApiOperation({
    summary: 'A trade',
    description: 'Answered 404 as well when the caller is not a member of its seller or buyer.',
  })
  @ApiOkResponse({ type: TradeDto })
  @ApiErrorResponses(400, 401, 404)
  get(@CurrentUser() user: AuthUser, @Param('transactionId', UuidParam) id: string): Promise<TradeDto> {
    return this.trades.get(user, id);
  }

  @Post(':transactionId/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Cancel a pending trade: its reservation is released and its shipment cancelled' })
  @ApiOkResponse({ type: TradeDto })
  @ApiErrorResponses(400, 401, 404, 409)
  cancel(@CurrentUser() user: AuthUser, @Param('transactionId', UuidParam) id: string): Promise<TradeDto> {
    return this.trades.cancel(user, id);
  }
}
