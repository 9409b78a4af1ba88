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
  private readonly routes = new WeakMap<object, WeakMap<object, Map<unknown, unknown>>>();

  override getAllAndOverride<TResult = unknown, TKey = unknown>(
    metadataKey: TKey,
    targets: Parameters<Reflector['getAllAndOverride']>[1],
  ): TResult {
    const [handler, controller] = targets;
    if (targets.length !== 2) return super.getAllAndOverride<TResult, TKey>(metadataKey, targets);
    let byController = this.routes.get(handler);
    if (!byController) this.routes.set(handler, (byController = new WeakMap()));
    let values = byController.get(controller);
    if (!values) byController.set(controller, (values = new Map()));
    if (!values.has(metadataKey)) values.set(metadataKey, super.getAllAndOverride(metadataKey, targets));
    return values.get(metadataKey) as TResult;
  }
}

/** One RouteMetadata for the whole app (the guards and the throttler's options share it). */
@Global()
@Module({ providers: [RouteMetadata], exports: [RouteMetadata] })
export class RouteMetadataModule {}
