export * from './event-log.writer';
export * from './event-types';
export * from './events.module';
