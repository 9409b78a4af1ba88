import { AuthModule } from '@itn/auth';
import { Module } from '@nestjs/common';
import { InventoryCache } from './inventory-cache';
import { InventoryController } from './inventory.controller';
import { InventoryRepository } from './inventory.repository';
import { InventoryService } from './inventory.service';
import { StockMovements } from './stock-movements';

@Module({
  imports: [AuthModule],
  controllers: [InventoryController],
  providers: [InventoryService, InventoryRepository, StockMovements, InventoryCache],
  exports: [InventoryService, StockMovements, InventoryCache],
})
export class InventoryModule {}
