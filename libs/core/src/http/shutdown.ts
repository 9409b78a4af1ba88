import { Global, Injectable, Module } from '@nestjs/common';

/** Set once the process starts shutting down: new requests get 503 and readiness fails. */
@Injectable()
export class ShutdownState {
  closing = false;

  beforeApplicationShutdown(): void {
    this.closing = true;
  }
}

@Global()
@Module({ providers: [ShutdownState], exports: [ShutdownState] })
export class ShutdownModule {}
