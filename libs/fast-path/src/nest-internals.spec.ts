import { Controller, Get, UseGuards, UseInterceptors, type CanActivate, type NestInterceptor } from '@nestjs/common';
import { httpRouteContext, ownGuardsAndInterceptors } from './nest-internals';

/**
 * What nest-internals.ts relies on of NestJS. When one of these fails after an upgrade of
 * @nestjs/common or @nestjs/core, the adapter (and with it the route shortcuts of @itn/fast-path)
 * must be brought in line with the new release, or FAST_PATHS turned off until it is.
 */
describe('NestJS internals used by @itn/fast-path', () => {
  class OwnGuard implements CanActivate {
    canActivate = () => false;
  }
  class OwnInterceptor implements NestInterceptor {
    intercept: NestInterceptor['intercept'] = (_context, next) => next.handle();
  }
  @Controller('plain')
  class Plain {
    @Get()
    read() {}
  }
  @Controller('guarded')
  class Guarded {
    @Get()
    @UseGuards(OwnGuard)
    read() {}
  }
  @Controller('intercepted')
  @UseInterceptors(OwnInterceptor)
  class Intercepted {
    @Get()
    read() {}
  }

  const loudly = (what: string, check: () => void) => {
    try {
      check();
    } catch (e) {
      throw new Error(`NestJS changed what nest-internals.ts relies on: ${what}\n${(e as Error).message}`, {
        cause: e,
      });
    }
  };

  it('@nestjs/core/internal still exports ExecutionContextHost, the router’s context for guards', () => {
    const request = { headers: {} };
    const reply = { statusCode: 200 };
    const context = httpRouteContext(request, reply, Plain, Plain.prototype.read);
    loudly('ExecutionContextHost([request, reply], controller, handler) as an HTTP ExecutionContext', () => {
      expect(context.getType()).toBe('http');
      expect(context.getClass()).toBe(Plain);
      expect(context.getHandler()).toBe(Plain.prototype.read);
      expect(context.getArgs()).toEqual([request, reply]);
      const http = context.switchToHttp();
      expect(http.getRequest()).toBe(request);
      expect(http.getResponse()).toBe(reply);
    });
  });

  it('@nestjs/common/internal still names the metadata @UseGuards and @UseInterceptors write', () => {
    loudly('GUARDS_METADATA / INTERCEPTORS_METADATA are the keys of @UseGuards / @UseInterceptors', () => {
      expect(ownGuardsAndInterceptors(Plain, Plain.prototype.read)).toEqual([]);
      expect(ownGuardsAndInterceptors(Guarded, Guarded.prototype.read)).toEqual(['__guards__']);
      expect(ownGuardsAndInterceptors(Intercepted, Intercepted.prototype.read)).toEqual(['__interceptors__']);
    });
  });
});
