import { AuthUser, StationAccessPolicy } from '@itn/auth';
import { ShipmentListener, ShipmentListeners, ShipmentRow, ShipmentsService } from '@itn/cargo';
import {
  ConflictError,
  decodeCursor,
  DomainError,
  IdempotencyContext,
  IdempotencyService,
  IdempotentResult,
  MetricsRegistry,
  NotFoundError,
  Page,
  toPage,
  UnprocessableError,
  uuidv7,
} from '@itn/core';
import { event, NewEvent, ShipmentStatus } from '@itn/events';
import { HttpStatus, Injectable, OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { CreateTradeDto, ListTradesQueryDto, TradeDto } from './dto/trade.dto';
import { tradeFollowing } from './trade-lifecycle';
import { TradeRow, TradesRepository } from './trades.repository';

export function toTradeDto(r: TradeRow): TradeDto {
  return {
    transactionId: r.id,
    status: r.status,
    sellerStationId: r.seller_station_id,
    buyerStationId: r.buyer_station_id,
    items: r.items.map((i) => ({ ...i, lineTotal: i.quantity * i.unitPrice })),
    totalPrice: Number(r.total_price),
    shipmentId: r.shipment_id,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** A trade placed by a member of the buyer only. */
export class SellerOnlyError extends DomainError {
  constructor() {
    super(
      'TRADE.SELLER_ONLY',
      "Only members of the seller station (and admins) may place a trade that sells the seller's stock",
      HttpStatus.FORBIDDEN,
    );
  }
}

@Injectable()
export class TradesService implements OnModuleInit, ShipmentListener {
  readonly follows = 'trade';

  constructor(
    private readonly dataSource: DataSource,
    private readonly trades: TradesRepository,
    private readonly shipments: ShipmentsService,
    private readonly shipmentListeners: ShipmentListeners,
    private readonly access: StationAccessPolicy,
    private readonly idempotency: IdempotencyService,
    registry: MetricsRegistry,
  ) {
    this.created = new Counter({ name: 'itn_trades_created_total', help: 'Trades created', registers: [registry] });
  }

  private readonly created: Counter;

  onModuleInit(): void {
    this.shipmentListeners.register(this);
  }

  /**
   * One statement (create_trade(), sql/create-trade.v1.sql): the seller's stock is reserved for
   * every line (all or nothing), the shipment that will carry the goods is created, the trade
   * and its lines are stored, and the events are written.
   */
  async create(
    user: AuthUser,
    dto: CreateTradeDto,
    idempotency: IdempotencyContext,
  ): Promise<IdempotentResult<TradeDto>> {
    if (dto.sellerStationId === dto.buyerStationId) {
      throw new UnprocessableError('TRADE.SELF_TRADE', 'A station cannot trade with itself');
    }
    // Until trades are paid for, selling is the seller's decision alone: a buyer could
    // otherwise take another station's goods. (The guard let in members of either side.)
    const sellerSide =
      this.access.knownCanActForAny(user, [dto.sellerStationId]) ??
      (await this.access.canActForAny(user, [dto.sellerStationId]));
    if (!sellerSide) throw new SellerOnlyError();
    const result = await this.idempotency.execute(
      {
        userId: user.id,
        key: idempotency.key,
        requestId: idempotency.requestId,
        scope: 'POST /api/trades',
        body: dto,
        successStatus: 201,
        singleStatement: true,
      },
      (tx) => this.createWithin(tx, user, dto),
    );
    if (!result.replayed && result.status === 201) this.created.inc();
    return result;
  }

  private async createWithin(tx: EntityManager, user: AuthUser, dto: CreateTradeDto): Promise<TradeDto> {
    const id = uuidv7();
    const lines = dto.items.map((i) => ({ commodityId: i.commodityId, quantity: i.quantity, unitPrice: i.unitPrice }));
    const totalPrice = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
    const shipment = await this.shipments.createWithin(
      tx,
      {
        originStationId: dto.sellerStationId,
        destinationStationId: dto.buyerStationId,
        lines: lines.map((l) => ({ commodityId: l.commodityId, quantity: l.quantity })),
        createdBy: user.id,
        tradeId: id,
      },
      this.trades.createStatement({ totalPrice, lines }),
    );
    // The trade is stored in the shipment's statement, so its timestamps are the shipment's.
    return toTradeDto({
      id,
      seller_station_id: dto.sellerStationId,
      buyer_station_id: dto.buyerStationId,
      status: 'pending',
      total_price: String(totalPrice),
      shipment_id: shipment.id,
      created_at: shipment.created_at,
      updated_at: shipment.created_at,
      items: [...lines].sort((a, b) => (a.commodityId < b.commodityId ? -1 : 1)),
    });
  }

  async get(user: AuthUser, id: string): Promise<TradeDto> {
    return toTradeDto(await this.visible(user, id));
  }

  async list(user: AuthUser, query: ListTradesQueryDto): Promise<Page<TradeDto>> {
    const stationIds = await this.access.scope(user, query.stationId);
    const rows = await this.trades.list(this.dataSource.manager, {
      stationIds,
      status: query.status,
      beforeId: decodeCursor(query.cursor),
      limit: query.limit + 1,
    });
    return toPage(rows, query.limit, (r) => r.id, toTradeDto);
  }

  /** Cancels a pending trade: the reservation is released and its shipment cancelled. */
  async cancel(user: AuthUser, id: string): Promise<TradeDto> {
    const trade = await this.visible(user, id);
    const cancelled = await this.dataSource.transaction((tx) =>
      this.shipments.cancelWithin(tx, trade.shipment_id, 'trade cancelled'),
    );
    const current = await this.trades.findById(this.dataSource.manager, id);
    if (!cancelled) {
      throw new ConflictError(
        'TRADE.NOT_CANCELLABLE',
        `The trade is ${current?.status}; only a pending one can be cancelled`,
        {
          status: current?.status,
        },
      );
    }
    return toTradeDto(current!);
  }

  /** Follows the trade's shipment, in the shipment step's transaction. */
  async onTransition(tx: EntityManager, shipment: ShipmentRow, _from: ShipmentStatus): Promise<NewEvent[]> {
    const move = tradeFollowing(shipment.status);
    if (!shipment.trade_id || !move) return [];
    for (const previous of move.from) {
      const row = await this.trades.transition(tx, shipment.trade_id, previous, move.to);
      if (!row) continue;
      return [
        event('trade.status_changed', [row.seller_station_id, row.buyer_station_id], {
          transactionId: row.id,
          status: move.to,
          previousStatus: previous,
          sellerStationId: row.seller_station_id,
          buyerStationId: row.buyer_station_id,
          shipmentId: row.shipment_id,
          at: new Date(row.updated_at).toISOString(),
        }),
      ];
    }
    return [];
  }

  /** A trade the caller may see (member of the seller or the buyer, or admin); otherwise 404. */
  private async visible(user: AuthUser, id: string): Promise<TradeRow> {
    const row = await this.trades.findById(this.dataSource.manager, id);
    const allowed = row && (await this.access.canActForAny(user, [row.seller_station_id, row.buyer_station_id]));
    if (!row || !allowed) throw new NotFoundError('TRADE.NOT_FOUND', `Trade ${id} does not exist`);
    return row;
  }
}
