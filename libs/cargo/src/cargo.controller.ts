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
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateShipmentDto, ListShipmentsQueryDto, ShipmentDto } from './dto/shipment.dto';
import { ShipmentsService } from './shipments.service';

@ApiTags('cargo')
@ApiBearerAuth('bearer')
@Controller('cargo')
export class CargoController {
  constructor(private readonly shipments: ShipmentsService) {}

  @Post()
  @StationAccess('body.originStationId')
  @ApiOperation({
    summary: 'Send a shipment (members of the origin and admins)',
    description:
      "Reserves the origin's stock for every line (all or nothing) and claims room at the destination. " +
      'The shipment leaves after loading and arrives after its travel time; follow it with GET or the event stream.',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: ShipmentDto })
  @ApiErrorResponses(400, 401, 403, 404, 409, 422)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateShipmentDto,
    @Idempotency() idempotency: IdempotencyContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShipmentDto | ErrorBody> {
    return replyIdempotent(reply, await this.shipments.create(user, dto, idempotency));
  }

  @Get()
  @StationAccess('query.stationId')
  @ApiOperation({ summary: 'List shipments, newest first (traders: of their stations)' })
  @ApiPageResponse(ShipmentDto)
  @ApiErrorResponses(400, 401, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: ListShipmentsQueryDto): Promise<Page<ShipmentDto>> {
    return this.shipments.list(user, query);
  }

  @Get(':shipmentId')
  @ApiOperation({
    summary: 'A shipment with its timeline',
    description: 'Answered 404 as well when the caller is not a member of its origin or destination.',
  })
  @ApiOkResponse({ type: ShipmentDto })
  @ApiErrorResponses(400, 401, 404)
  get(@CurrentUser() user: AuthUser, @Param('shipmentId', UuidParam) id: string): Promise<ShipmentDto> {
    return this.shipments.get(user, id);
  }

  @Post(':shipmentId/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Cancel a shipment before it leaves (members of the origin and admins)' })
  @ApiOkResponse({ type: ShipmentDto })
  @ApiErrorResponses(400, 401, 403, 404, 409)
  cancel(@CurrentUser() user: AuthUser, @Param('shipmentId', UuidParam) id: string): Promise<ShipmentDto> {
    return this.shipments.cancel(user, id);
  }
}
