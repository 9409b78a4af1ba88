import { AuthModule } from '@itn/auth';
import { CatalogModule } from '@itn/catalog';
import { Module } from '@nestjs/common';
import { DemoSeedService } from './demo-seed.service';

@Module({
  imports: [CatalogModule, AuthModule],
  providers: [DemoSeedService],
  exports: [DemoSeedService],
})
export class DemoSeedModule {}
