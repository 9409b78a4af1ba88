import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogService } from './catalog.service';
import { CommoditiesController, PlanetsController, StationsController } from './catalog.controller';
import { Commodity } from './entities/commodity.entity';
import { Planet } from './entities/planet.entity';
import { Station } from './entities/station.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Planet, Station, Commodity])],
  controllers: [PlanetsController, StationsController, CommoditiesController],
  providers: [CatalogService],
  exports: [CatalogService, TypeOrmModule],
})
export class CatalogModule {}
