import { Global, Inject, Injectable, Module, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/** Where a key is looked up: a route's handler, then its controller. */
export type RouteTargets = Parameters<Reflector['getAllAndOverride']>[1];

/**
 * Remembers what a route's metadata key answered, for a faster RouteMetadata (provided by
 * @itn/fast-path under ROUTE_METADATA_MEMO). Route metadata is fixed once the app is built.
 */
export interface RouteMetadataMemo {
  remember<T>(targets: RouteTargets, key: string, read: () => T): T;
}

export const ROUTE_METADATA_MEMO = Symbol('ROUTE_METADATA_MEMO');

/**
 * How guards read a route's metadata: the handler's value of a key, else its controller's
 * (Reflector.getAllAndOverride). Where the app provides a RouteMetadataMemo, each answer is
 * read once per route instead of on every request.
 */
@Injectable()
export class RouteMetadata {
  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(ROUTE_METADATA_MEMO) private readonly memo: RouteMetadataMemo | null,
  ) {}

  getAllAndOverride<T>(key: string, targets: RouteTargets): T {
    const read = () => this.reflector.getAllAndOverride<T>(key, targets);
    return this.memo ? this.memo.remember(targets, key, read) : read();
  }
}

/** One RouteMetadata for the whole app (every guard shares it). */
@Global()
@Module({ providers: [RouteMetadata], exports: [RouteMetadata] })
export class RouteMetadataModule {}
