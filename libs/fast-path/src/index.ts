export * from './fast-path.module';
export * from './route-metadata-memo';
export * from './socket-bursts';
export { tcpSocketOf, type WebSocketTransport } from './engine-io-internals';
