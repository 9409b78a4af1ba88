import { Module } from '@nestjs/common';
import { CargoQueueModule } from '../cargo-queue.module';
import { CargoModule } from '../cargo.module';
import { ShipmentRelay } from './shipment-relay.service';
import { ShipmentSweeper } from './shipment-sweeper.service';
import { ShipmentsProcessor } from './shipments.processor';

/** The shipment worker: the step processor, the outbox relay and the overdue sweep. */
@Module({
  imports: [CargoModule, CargoQueueModule],
  providers: [ShipmentsProcessor, ShipmentRelay, ShipmentSweeper],
  exports: [ShipmentRelay, ShipmentSweeper],
})
export class CargoWorkerModule {}
