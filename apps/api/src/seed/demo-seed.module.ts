import { AuthModule } from '@itn/auth';
import { CatalogModule } from '@itn/catalog';
import { InventoryModule } from '@itn/inventory';
import { Module } from '@nestjs/common';
import { DemoSeedService } from './demo-seed.service';

@Module({
  imports: [CatalogModule, AuthModule, InventoryModule],
  providers: [DemoSeedService],
  exports: [DemoSeedService],
})
export class DemoSeedModule {}
