import { AuthUser, StationAccessPolicy } from '@itn/auth';
import {
  ConflictError,
  decodeCursor,
  Environment,
  IdempotencyContext,
  IdempotencyService,
  IdempotentResult,
  NotFoundError,
  Page,
  toPage,
  UnprocessableError,
} from '@itn/core';
import { event, EventLogSignal, EventLogWriter, NewEvent, ShipmentStatus } from '@itn/events';
import { GoodsInTransit, LineQuantity, lineRows, milliToNumeric, StockMovements } from '@itn/inventory';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, EntityManager } from 'typeorm';
import { CreateShipmentDto, ListShipmentsQueryDto, ShipmentDto } from './dto/shipment.dto';
import { ShipmentListeners } from './shipment-listeners';
import { shipmentRefusalError, shipmentRefusalOf } from './shipment-refusals';
import { ShipmentParams, ShipmentRow, ShipmentsRepository, ShipmentStatement } from './shipments.repository';
import { simulatedToRealMs } from './travel';

export interface ShipmentRequest {
  originStationId: string;
  destinationStationId: string;
  lines: LineQuantity[];
  createdBy?: string | null;
  /** The trade the shipment carries, stored by `statement` in the same statement. */
  tradeId?: string;
}

export function toShipmentDto(r: ShipmentRow): ShipmentDto {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    shipmentId: r.id,
    status: r.status,
    originStationId: r.origin_station_id,
    destinationStationId: r.destination_station_id,
    tradeId: r.trade_id,
    items: r.items,
    volume: Number(r.volume),
    distanceAu: r.distance_au,
    dispatchAt: iso(r.dispatch_at)!,
    departedAt: iso(r.departed_at),
    eta: iso(r.eta)!,
    deliveredAt: iso(r.delivered_at),
    failureReason: r.failure_reason,
    timeline: r.timeline.map((t) => ({ ...t, at: new Date(t.at).toISOString() })),
    createdAt: iso(r.created_at)!,
  };
}

/** A step of a shipment's life: its guarded transition and the stock movement that goes with it. */
interface ShipmentStep {
  from: ShipmentStatus;
  to: ShipmentStatus;
  set?: Parameters<ShipmentsRepository['transition']>[4];
  moveStock: (tx: EntityManager, row: ShipmentRow) => Promise<NewEvent[]>;
}

/** The goods of a shipment, as inventory moves them. */
function goodsOf(row: ShipmentRow): GoodsInTransit {
  return {
    shipmentId: row.id,
    originStationId: row.origin_station_id,
    destinationStationId: row.destination_station_id,
    items: row.items,
    volume: row.volume,
  };
}

@Injectable()
export class ShipmentsService {
  private readonly maxVolumeMilli: bigint;
  /** The settings every new shipment is created with. */
  private readonly shipping: Pick<ShipmentParams, 'max_volume' | 'speed_km_s' | 'time_scale' | 'loading_ms'>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly shipments: ShipmentsRepository,
    private readonly stock: StockMovements,
    private readonly listeners: ShipmentListeners,
    private readonly events: EventLogWriter,
    private readonly signal: EventLogSignal,
    private readonly access: StationAccessPolicy,
    private readonly idempotency: IdempotencyService,
    config: ConfigService<Environment, true>,
  ) {
    this.maxVolumeMilli = BigInt(config.get('MAX_SHIPMENT_VOLUME', { infer: true })) * 1000n;
    const simTimeScale = config.get('SIM_TIME_SCALE', { infer: true });
    this.shipping = {
      max_volume: milliToNumeric(this.maxVolumeMilli),
      speed_km_s: config.get('SHIP_SPEED_KM_S', { infer: true }),
      time_scale: simTimeScale,
      loading_ms: simulatedToRealMs(config.get('LOADING_TIME_SECONDS', { infer: true }), simTimeScale),
    };
  }

  create(
    user: AuthUser,
    dto: CreateShipmentDto,
    idempotency: IdempotencyContext,
  ): Promise<IdempotentResult<ShipmentDto>> {
    return this.idempotency.execute(
      {
        userId: user.id,
        key: idempotency.key,
        requestId: idempotency.requestId,
        scope: 'POST /api/cargo',
        body: dto,
        successStatus: 201,
        singleStatement: true,
      },
      async (tx) =>
        toShipmentDto(
          await this.createWithin(tx, {
            originStationId: dto.originStationId,
            destinationStationId: dto.destinationStationId,
            lines: dto.items,
            createdBy: user.id,
          }),
        ),
    );
  }

  /**
   * Creates a shipment in one statement of `tx` (create_shipment(), or `statement`, a feature's
   * function that runs it and stores what the shipment carries): reserves the origin's stock for
   * every line (all or nothing), claims room at the destination, and writes the events. `tx` may
   * be the data source's manager: the statement is atomic on its own. A refusal is answered with
   * the error that names it.
   */
  async createWithin(
    tx: EntityManager,
    req: ShipmentRequest,
    statement: ShipmentStatement = this.shipments.create,
  ): Promise<ShipmentRow> {
    const { originStationId: origin, destinationStationId: destination, lines } = req;
    if (origin === destination) {
      throw new UnprocessableError('CARGO.SAME_STATION', 'Origin and destination must be different stations');
    }
    try {
      const row = await statement(tx, {
        origin,
        destination,
        items: lineRows(lines),
        created_by: req.createdBy ?? null,
        trade_id: req.tradeId ?? null,
        ...this.shipping,
      });
      this.signal.written(tx);
      return { ...row, items: [...lines].sort((a, b) => (a.commodityId < b.commodityId ? -1 : 1)) };
    } catch (e) {
      const refusal = shipmentRefusalOf(e);
      throw refusal ? shipmentRefusalError(refusal, req, this.maxVolumeMilli) : e;
    }
  }

  /** A shipment the caller may see: a member of its origin or destination, or an admin; else 404. */
  async get(user: AuthUser, id: string): Promise<ShipmentDto> {
    return toShipmentDto(await this.visible(user, id));
  }

  async list(user: AuthUser, query: ListShipmentsQueryDto): Promise<Page<ShipmentDto>> {
    const stationIds = await this.access.scope(user, query.stationId);
    const rows = await this.shipments.list(this.dataSource.manager, {
      stationIds,
      status: query.status,
      beforeId: decodeCursor(query.cursor),
      limit: query.limit + 1,
    });
    return toPage(rows, query.limit, (r) => r.id, toShipmentDto);
  }

  /** Cancels a shipment that has not left yet (members of the origin or admins). */
  async cancel(user: AuthUser, id: string): Promise<ShipmentDto> {
    const shipment = await this.visible(user, id);
    await this.access.assertCanActForAny(user, [shipment.origin_station_id]);
    const row = await this.dataSource.transaction((tx) => this.cancelWithin(tx, id));
    if (!row) {
      const current = await this.shipments.findById(this.dataSource.manager, id);
      throw new ConflictError(
        'CARGO.NOT_CANCELLABLE',
        `The shipment is ${current?.status}; only a scheduled one can be cancelled`,
        {
          status: current?.status,
        },
      );
    }
    return toShipmentDto(row);
  }

  /** scheduled -> cancelled: the reservation is released and the destination's room given back. */
  cancelWithin(tx: EntityManager, id: string, note?: string): Promise<ShipmentRow | undefined> {
    return this.stepWithin(tx, id, {
      from: 'scheduled',
      to: 'cancelled',
      set: { failureReason: note },
      moveStock: (t, row) => this.stock.release(t, goodsOf(row)),
    });
  }

  /** Worker step: scheduled -> in_transit. The goods leave the origin and become incoming at the destination. */
  dispatch(id: string): Promise<ShipmentRow | undefined> {
    return this.step(id, {
      from: 'scheduled',
      to: 'in_transit',
      set: { departed: true },
      moveStock: (tx, row) => this.stock.dispatch(tx, goodsOf(row)),
    });
  }

  /** Worker step: in_transit -> delivered. The incoming goods join the destination's stock. */
  deliver(id: string): Promise<ShipmentRow | undefined> {
    return this.step(id, {
      from: 'in_transit',
      to: 'delivered',
      set: { delivered: true },
      moveStock: (tx, row) => this.stock.deliver(tx, goodsOf(row)),
    });
  }

  /**
   * Gives up on a shipment whose steps keep failing. Nothing is lost: a scheduled one releases
   * its reservation; one in transit returns its goods to the origin.
   */
  async fail(id: string, reason: string): Promise<ShipmentRow | undefined> {
    const set = { failureReason: reason.slice(0, 200) };
    return (
      (await this.step(id, {
        from: 'scheduled',
        to: 'failed',
        set,
        moveStock: (tx, row) => this.stock.release(tx, goodsOf(row)),
      })) ??
      (await this.step(id, {
        from: 'in_transit',
        to: 'failed',
        set,
        moveStock: (tx, row) => this.stock.returnToOrigin(tx, goodsOf(row)),
      }))
    );
  }

  /** One step of a shipment's life in a transaction of its own (see stepWithin). */
  private step(id: string, step: ShipmentStep): Promise<ShipmentRow | undefined> {
    return this.dataSource.transaction((tx) => this.stepWithin(tx, id, step));
  }

  /**
   * One step of a shipment's life in `tx`: the guarded transition (nothing happens when the
   * shipment is no longer in `from`), the stock it moves, and the events of both and of every
   * feature that follows shipments.
   */
  private async stepWithin(tx: EntityManager, id: string, step: ShipmentStep): Promise<ShipmentRow | undefined> {
    const row = await this.shipments.transition(tx, id, step.from, step.to, step.set);
    if (!row) return undefined;
    const stockEvents = await step.moveStock(tx, row);
    await this.events.append(tx, [
      this.statusEvent(row, step.from),
      ...stockEvents,
      ...(await this.listeners.onTransition(tx, row, step.from)),
    ]);
    return row;
  }

  private async visible(user: AuthUser, id: string): Promise<ShipmentRow> {
    const row = await this.shipments.findById(this.dataSource.manager, id);
    const allowed = row && (await this.access.canActForAny(user, [row.origin_station_id, row.destination_station_id]));
    if (!row || !allowed) throw new NotFoundError('CARGO.SHIPMENT_NOT_FOUND', `Shipment ${id} does not exist`);
    return row;
  }

  private statusEvent(row: ShipmentRow, previous: ShipmentStatus | null): NewEvent<'shipment.status_changed'> {
    const dto = toShipmentDto(row);
    return event('shipment.status_changed', [row.origin_station_id, row.destination_station_id], {
      shipmentId: row.id,
      tradeId: row.trade_id,
      status: row.status,
      previousStatus: previous,
      originStationId: row.origin_station_id,
      destinationStationId: row.destination_station_id,
      dispatchAt: dto.dispatchAt,
      eta: dto.eta,
      departedAt: dto.departedAt,
      deliveredAt: dto.deliveredAt,
      at: dto.timeline[dto.timeline.length - 1]?.at ?? dto.createdAt,
    });
  }
}
