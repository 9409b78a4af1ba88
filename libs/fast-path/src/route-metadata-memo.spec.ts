import { RouteMetadata } from '@itn/core';
import { Controller, Get, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PerRouteMetadataMemo } from './route-metadata-memo';

describe(PerRouteMetadataMemo.name, () => {
  @Controller('things')
  @SetMetadata('role', 'controller')
  class Things {
    @Get()
    @SetMetadata('role', 'handler')
    own() {}

    @Get('other')
    inherited() {}
  }
  const keys = ['role', 'absent'];
  const routes = [Things.prototype.own, Things.prototype.inherited].map((handler) => [handler, Things]);

  it('answers what Reflector answers, reading each route and key once', () => {
    const reflector = new Reflector();
    const plain = new RouteMetadata(reflector, null);
    const remembered = new RouteMetadata(reflector, new PerRouteMetadataMemo());
    const reads = jest.spyOn(reflector, 'getAllAndOverride');
    for (let round = 0; round < 3; round++) {
      for (const route of routes) {
        for (const key of keys) {
          expect(remembered.getAllAndOverride(key, route)).toBe(plain.getAllAndOverride(key, route));
        }
      }
    }
    expect(remembered.getAllAndOverride('role', routes[0])).toBe('handler');
    expect(remembered.getAllAndOverride('role', routes[1])).toBe('controller');
    // The plain one reads every time (3 rounds), the remembering one once per route and key.
    expect(reads).toHaveBeenCalledTimes(3 * routes.length * keys.length + routes.length * keys.length);
  });
});
