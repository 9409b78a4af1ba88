import { AuthModule } from '@itn/auth';
import { InventoryModule } from '@itn/inventory';
import { Module } from '@nestjs/common';
import { CargoQueueModule } from './cargo-queue.module';
import { CargoMetrics } from './cargo.metrics';
import { CargoController } from './cargo.controller';
import { ShipmentListeners } from './shipment-listeners';
import { ShipmentsRepository } from './shipments.repository';
import { ShipmentsService } from './shipments.service';

/** Shipments over HTTP. The steps that move them run in CargoWorkerModule. */
@Module({
  imports: [AuthModule, InventoryModule, CargoQueueModule],
  controllers: [CargoController],
  providers: [ShipmentsService, ShipmentsRepository, ShipmentListeners, CargoMetrics],
  exports: [ShipmentsService, ShipmentsRepository, ShipmentListeners, CargoMetrics, CargoQueueModule],
})
export class CargoModule {}
