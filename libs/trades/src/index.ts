export * from './dto/trade.dto';
export * from './trades.module';
export * from './trades.repository';
export * from './trades.service';
