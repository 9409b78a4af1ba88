import { Module } from '@nestjs/common';
import { CargoModule } from '../cargo.module';
import { ShipmentRelay } from './shipment-relay.service';
import { ShipmentSweeper } from './shipment-sweeper.service';
import { ShipmentsProcessor } from './shipments.processor';

/** The shipment worker: the step processor, the outbox relay and the overdue sweep. */
@Module({
  imports: [CargoModule],
  providers: [ShipmentsProcessor, ShipmentRelay, ShipmentSweeper],
  exports: [ShipmentRelay, ShipmentSweeper],
})
export class CargoWorkerModule {}
