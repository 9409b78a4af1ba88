import { Global, Injectable, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * A Reflector that remembers its answers per route (handler and controller). Route metadata
 * is fixed once the app is built, and every request asks for it several times: each global
 * guard reads its key (public, roles, station access) and the throttler guard a dozen (skip,
 * limit, ttl, block duration, tracker and key generator, per throttler), each through
 * reflect-metadata's walk of the prototype chain.
 */
@Injectable()
export class RouteMetadata extends Reflector {
  private readonly routes = new PerRoute<Map<unknown, unknown>>(() => new Map());

  override getAllAndOverride<TResult = unknown, TKey = unknown>(
    metadataKey: TKey,
    targets: Parameters<Reflector['getAllAndOverride']>[1],
  ): TResult {
    const [handler, controller] = targets;
    if (targets.length !== 2) return super.getAllAndOverride<TResult, TKey>(metadataKey, targets);
    const values = this.routes.get(handler, controller);
    if (!values.has(metadataKey)) values.set(metadataKey, super.getAllAndOverride(metadataKey, targets));
    return values.get(metadataKey) as TResult;
  }
}

/**
 * A value per route (handler and controller), worked out by `compute` the first time the route
 * asks: for what depends only on a route's metadata, which is fixed once the app is built.
 */
export class PerRoute<V> {
  private readonly byHandler = new WeakMap<object, WeakMap<object, V>>();

  constructor(private readonly compute: (handler: object, controller: object) => V) {}

  get(handler: object, controller: object): V {
    let byController = this.byHandler.get(handler);
    if (!byController) this.byHandler.set(handler, (byController = new WeakMap()));
    if (!byController.has(controller)) byController.set(controller, this.compute(handler, controller));
    return byController.get(controller) as V;
  }
}

/** One RouteMetadata for the whole app (the guards and the throttler's options share it). */
@Global()
@Module({ providers: [RouteMetadata], exports: [RouteMetadata] })
export class RouteMetadataModule {}
