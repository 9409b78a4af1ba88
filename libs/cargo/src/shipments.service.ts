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
import { event, EventLogWriter, NewEvent, ShipmentStatus } from '@itn/events';
import {
  InsufficientStockError,
  InventoryRepository,
  milliToNumber,
  milliToNumeric,
  NewLedgerEntry,
  numericToMilli,
  StationCapacityError,
} from '@itn/inventory';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, EntityManager } from 'typeorm';
import { CreateShipmentDto, ListShipmentsQueryDto, ShipmentDto } from './dto/shipment.dto';
import {
  LevelAfter,
  LineQuantity,
  NewShipment,
  ShipmentRefusal,
  ShipmentRow,
  ShipmentsRepository,
} from './shipments.repository';
import { simulatedToRealMs } from './travel';

/** Told of every shipment transition inside its transaction (trades follow their shipment). */
export interface ShipmentLifecycleHook {
  onTransition(tx: EntityManager, shipment: ShipmentRow, from: ShipmentStatus | null): Promise<NewEvent[]>;
}

export interface ShipmentRequest {
  originStationId: string;
  destinationStationId: string;
  lines: LineQuantity[];
  createdBy?: string | null;
  /** The trade the shipment carries, created with it (and its trade.created event). */
  trade?: NewShipment['trade'];
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

function levelEvent(l: LevelAfter, delta: number, reason: string): NewEvent<'inventory.changed'> {
  const onHand = Number(l.on_hand);
  const reserved = Number(l.reserved);
  return event('inventory.changed', [l.station_id], {
    stationId: l.station_id,
    commodityId: l.commodity_id,
    onHand,
    reserved,
    available: onHand - reserved,
    incoming: Number(l.incoming),
    delta,
    reason,
  });
}

@Injectable()
export class ShipmentsService {
  private readonly maxVolumeMilli: bigint;
  /** The settings every new shipment is created with. */
  private readonly shipping: Pick<NewShipment, 'maxVolume' | 'speedKmS' | 'simTimeScale' | 'loadingMs'>;
  private hook: ShipmentLifecycleHook | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly shipments: ShipmentsRepository,
    private readonly inventory: InventoryRepository,
    private readonly events: EventLogWriter,
    private readonly access: StationAccessPolicy,
    private readonly idempotency: IdempotencyService,
    config: ConfigService<Environment, true>,
  ) {
    this.maxVolumeMilli = BigInt(config.get('MAX_SHIPMENT_VOLUME', { infer: true })) * 1000n;
    const simTimeScale = config.get('SIM_TIME_SCALE', { infer: true });
    this.shipping = {
      maxVolume: milliToNumeric(this.maxVolumeMilli),
      speedKmS: config.get('SHIP_SPEED_KM_S', { infer: true }),
      simTimeScale,
      loadingMs: simulatedToRealMs(config.get('LOADING_TIME_SECONDS', { infer: true }), simTimeScale),
    };
  }

  /** Lets a feature that owns shipments (trades) follow their transitions in the same transaction. */
  registerLifecycleHook(hook: ShipmentLifecycleHook): void {
    this.hook = hook;
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
   * Creates a shipment, and the trade it carries if any, in one statement of `tx`: reserves the
   * origin's stock for every line (all or nothing), claims room at the destination, and writes
   * the events. `tx` may be the data source's manager: the statement is atomic on its own.
   */
  async createWithin(tx: EntityManager, req: ShipmentRequest): Promise<ShipmentRow> {
    const { originStationId: origin, destinationStationId: destination, lines } = req;
    if (origin === destination) {
      throw new UnprocessableError('CARGO.SAME_STATION', 'Origin and destination must be different stations');
    }
    try {
      return await this.shipments.create(tx, {
        originStationId: origin,
        destinationStationId: destination,
        lines,
        createdBy: req.createdBy ?? null,
        ...this.shipping,
        trade: req.trade,
      });
    } catch (e) {
      if (e instanceof ShipmentRefusal) throw this.refusalError(e, req);
      throw e;
    }
  }

  private refusalError({ kind, detail }: ShipmentRefusal, req: ShipmentRequest): Error {
    switch (kind) {
      case 'station_not_found':
        return new NotFoundError('CATALOG.STATION_NOT_FOUND', `Station ${detail.stationId} does not exist`);
      case 'commodity_not_found':
        return new NotFoundError('CATALOG.COMMODITY_NOT_FOUND', `Commodity ${detail.commodityId} does not exist`);
      case 'volume_exceeded': {
        const [volume, maxVolume] = [Number(detail.volume), milliToNumber(this.maxVolumeMilli)];
        return new UnprocessableError(
          'CARGO.VOLUME_EXCEEDED',
          `The shipment's volume (${volume} m³) exceeds the maximum of ${maxVolume} m³`,
          { volume, maxVolume },
        );
      }
      case 'insufficient_stock':
        return new InsufficientStockError({
          stationId: req.originStationId,
          commodityId: detail.commodityId!,
          sku: detail.sku,
          requested: req.lines.find((l) => l.commodityId === detail.commodityId)?.quantity,
        });
      case 'station_capacity':
        return new StationCapacityError(detail.stationId!);
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
  async cancelWithin(tx: EntityManager, id: string, note?: string): Promise<ShipmentRow | undefined> {
    const row = await this.shipments.transition(tx, id, 'scheduled', 'cancelled', { failureReason: note });
    if (!row) return undefined;
    await this.releaseReservation(tx, row, 'cancelled');
    return row;
  }

  /** Worker step: scheduled -> in_transit. The goods leave the origin and become incoming at the destination. */
  async dispatch(id: string): Promise<ShipmentRow | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const row = await this.shipments.transition(tx, id, 'scheduled', 'in_transit', { departed: true });
      if (!row) return undefined;
      const { origin_station_id: origin, destination_station_id: destination } = row;
      await this.shipments.lockLevels(tx, [
        ...row.items.map((i) => ({ stationId: origin, commodityId: i.commodityId })),
        ...row.items.map((i) => ({ stationId: destination, commodityId: i.commodityId })),
      ]);
      const left = await this.shipments.moveStock(tx, origin, row.items, { onHand: -1, reserved: -1 });
      const coming = await this.shipments.moveStock(tx, destination, row.items, { incoming: 1 });
      await this.inventory.changeCommittedVolume(tx, origin, -numericToMilli(row.volume));
      await this.inventory.appendLedgerMany(
        tx,
        left.map((l) => this.ledgerEntry(l, -1, 'shipment_dispatch', row.id)),
      );
      await this.events.append(tx, [
        this.statusEvent(row, 'scheduled'),
        ...left.map((l) => levelEvent(l, -Number(l.quantity), 'shipment_dispatch')),
        ...coming.map((l) => levelEvent(l, 0, 'shipment_incoming')),
        ...((await this.hook?.onTransition(tx, row, 'scheduled')) ?? []),
      ]);
      return row;
    });
  }

  /** Worker step: in_transit -> delivered. The incoming goods join the destination's stock. */
  async deliver(id: string): Promise<ShipmentRow | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const row = await this.shipments.transition(tx, id, 'in_transit', 'delivered', { delivered: true });
      if (!row) return undefined;
      const destination = row.destination_station_id;
      await this.shipments.lockLevels(
        tx,
        row.items.map((i) => ({ stationId: destination, commodityId: i.commodityId })),
      );
      const arrived = await this.shipments.moveStock(tx, destination, row.items, { onHand: 1, incoming: -1 });
      await this.inventory.appendLedgerMany(
        tx,
        arrived.map((l) => this.ledgerEntry(l, 1, 'shipment_delivery', row.id)),
      );
      await this.events.append(tx, [
        this.statusEvent(row, 'in_transit'),
        ...arrived.map((l) => levelEvent(l, Number(l.quantity), 'shipment_delivery')),
        ...((await this.hook?.onTransition(tx, row, 'in_transit')) ?? []),
      ]);
      return row;
    });
  }

  /**
   * Gives up on a shipment whose steps keep failing. Nothing is lost: a scheduled one releases
   * its reservation; one in transit returns its goods to the origin.
   */
  async fail(id: string, reason: string): Promise<ShipmentRow | undefined> {
    return this.dataSource.transaction(async (tx) => {
      const note = reason.slice(0, 200);
      const scheduled = await this.shipments.transition(tx, id, 'scheduled', 'failed', { failureReason: note });
      if (scheduled) {
        await this.releaseReservation(tx, scheduled, 'scheduled');
        return scheduled;
      }
      const row = await this.shipments.transition(tx, id, 'in_transit', 'failed', { failureReason: note });
      if (!row) return undefined;
      const { origin_station_id: origin, destination_station_id: destination } = row;
      await this.shipments.lockLevels(tx, [
        ...row.items.map((i) => ({ stationId: origin, commodityId: i.commodityId })),
        ...row.items.map((i) => ({ stationId: destination, commodityId: i.commodityId })),
      ]);
      const returned = await this.shipments.moveStock(tx, origin, row.items, { onHand: 1 });
      const notComing = await this.shipments.moveStock(tx, destination, row.items, { incoming: -1 });
      const volume = numericToMilli(row.volume);
      // The goods are back at the origin (it had room for them when they left, and may now be
      // over capacity, which only blocks new inbound cargo) and no longer due at the destination.
      await this.inventory.changeCommittedVolume(tx, destination, -volume);
      await this.inventory.changeCommittedVolume(tx, origin, volume, { enforceCapacity: false });
      await this.inventory.appendLedgerMany(
        tx,
        returned.map((l) => this.ledgerEntry(l, 1, 'shipment_return', row.id)),
      );
      await this.events.append(tx, [
        this.statusEvent(row, 'in_transit'),
        ...returned.map((l) => levelEvent(l, Number(l.quantity), 'shipment_return')),
        ...notComing.map((l) => levelEvent(l, 0, 'shipment_failed')),
        ...((await this.hook?.onTransition(tx, row, 'in_transit')) ?? []),
      ]);
      return row;
    });
  }

  private async releaseReservation(tx: EntityManager, row: ShipmentRow, from: ShipmentStatus): Promise<void> {
    const origin = row.origin_station_id;
    await this.shipments.lockLevels(
      tx,
      row.items.map((i) => ({ stationId: origin, commodityId: i.commodityId })),
    );
    const released = await this.shipments.moveStock(tx, origin, row.items, { reserved: -1 });
    await this.inventory.changeCommittedVolume(tx, row.destination_station_id, -numericToMilli(row.volume));
    await this.events.append(tx, [
      this.statusEvent(row, from),
      ...released.map((l) => levelEvent(l, 0, 'reservation_released')),
      ...((await this.hook?.onTransition(tx, row, from)) ?? []),
    ]);
  }

  private async visible(user: AuthUser, id: string): Promise<ShipmentRow> {
    const row = await this.shipments.findById(this.dataSource.manager, id);
    const allowed = row && (await this.access.canActForAny(user, [row.origin_station_id, row.destination_station_id]));
    if (!row || !allowed) throw new NotFoundError('CARGO.SHIPMENT_NOT_FOUND', `Shipment ${id} does not exist`);
    return row;
  }

  private ledgerEntry(l: LevelAfter, sign: 1 | -1, reason: string, shipmentId: string): NewLedgerEntry {
    return {
      stationId: l.station_id,
      commodityId: l.commodity_id,
      delta: sign * Number(l.quantity),
      balanceAfter: Number(l.on_hand),
      reason,
      referenceType: 'shipment',
      referenceId: shipmentId,
    };
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
