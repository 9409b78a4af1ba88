export * from './fast-path.module';
export * from './guards-from-memory';
export * from './inventory-read.shortcut';
export * from './route-metadata-memo';
export * from './route-shortcuts';
export * from './socket-bursts';
export { tcpSocketOf, type WebSocketTransport } from './engine-io-internals';
