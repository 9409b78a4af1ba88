import { AuthModule } from '@itn/auth';
import { Module } from '@nestjs/common';
import { InventoryCache } from './inventory-cache';
import { InventoryController } from './inventory.controller';
import { InventoryRepository } from './inventory.repository';
import { InventoryService } from './inventory.service';

@Module({
  imports: [AuthModule],
  controllers: [InventoryController],
  providers: [InventoryService, InventoryRepository, InventoryCache],
  exports: [InventoryService, InventoryRepository, InventoryCache],
})
export class InventoryModule {}
