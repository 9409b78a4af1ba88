import { CatalogModule } from '@itn/catalog';
import { Module } from '@nestjs/common';
import { DemoSeedService } from './demo-seed.service';

@Module({
  imports: [CatalogModule],
  providers: [DemoSeedService],
  exports: [DemoSeedService],
})
export class DemoSeedModule {}
