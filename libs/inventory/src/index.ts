export * from './dto/inventory.dto';
export * from './inventory-cache';
export * from './inventory.module';
export * from './inventory.repository';
export * from './inventory.service';
export * from './stock-movements';
export * from './volume';
export { InventoryController, inventoryAnswer } from './inventory.controller';
