import { AuthModule } from '@itn/auth';
import { InventoryModule } from '@itn/inventory';
import { Module } from '@nestjs/common';
import { CargoController } from './cargo.controller';
import { ShipmentsRepository } from './shipments.repository';
import { ShipmentsService } from './shipments.service';

/** Shipments over HTTP. The steps that move them run in CargoWorkerModule. */
@Module({
  imports: [AuthModule, InventoryModule],
  controllers: [CargoController],
  providers: [ShipmentsService, ShipmentsRepository],
  exports: [ShipmentsService, ShipmentsRepository],
})
export class CargoModule {}
