export * from './fast-path.module';
export * from './socket-bursts';
export { tcpSocketOf, type WebSocketTransport } from './engine-io-internals';
