import type { RouteMetadataMemo, RouteTargets } from '@itn/core';
import { Injectable } from '@nestjs/common';

/**
 * Each route's metadata, read once per route and key. Every request asks for it several
 * times (each global guard reads its key: public, roles, station access), each time through
 * reflect-metadata's walk of the prototype chain; route metadata is fixed once the app is built.
 */
@Injectable()
export class PerRouteMetadataMemo implements RouteMetadataMemo {
  private readonly byHandler = new WeakMap<object, WeakMap<object, Map<string, unknown>>>();

  remember<T>(targets: RouteTargets, key: string, read: () => T): T {
    const [handler, controller] = targets;
    if (targets.length !== 2 || handler === undefined || controller === undefined) return read();
    let byController = this.byHandler.get(handler);
    if (!byController) this.byHandler.set(handler, (byController = new WeakMap<object, Map<string, unknown>>()));
    let values = byController.get(controller);
    if (!values) byController.set(controller, (values = new Map<string, unknown>()));
    if (!values.has(key)) values.set(key, read());
    return values.get(key) as T;
  }
}
