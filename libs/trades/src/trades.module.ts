import { AuthModule } from '@itn/auth';
import { CargoModule } from '@itn/cargo';
import { Module } from '@nestjs/common';
import { TradesController } from './trades.controller';
import { TradesRepository } from './trades.repository';
import { TradesService } from './trades.service';

@Module({
  imports: [AuthModule, CargoModule],
  controllers: [TradesController],
  providers: [TradesService, TradesRepository],
  exports: [TradesService],
})
export class TradesModule {}
