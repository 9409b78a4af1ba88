import {
  Global,
  Injectable,
  Module,
  type CanActivate,
  type ContextType,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

type HttpArgumentsHost = ReturnType<ExecutionContext['switchToHttp']>;
type RpcArgumentsHost = ReturnType<ExecutionContext['switchToRpc']>;
type WsArgumentsHost = ReturnType<ExecutionContext['switchToWs']>;

/**
 * Answers a request to one route without Nest's router, or declines (false) and leaves it to
 * the router. It must decline unless it can answer exactly as the route would, from memory:
 * the router then decides, and answers every refusal and error.
 */
export type RouteShortcut = (request: FastifyRequest, reply: FastifyReply) => boolean;

/**
 * The shortcuts of the hottest routes, by method and path as Fastify knows the route
 * (`/api/inventory/:stationId`). setupApp offers each request to its route's shortcut, if any,
 * right before the route's handler would run: after routing, CORS and body parsing, with the
 * onSend and onResponse hooks (metrics, request log) still ahead.
 */
@Injectable()
export class RouteShortcuts {
  private readonly shortcuts = new Map<string, RouteShortcut>();

  register(method: string, url: string, shortcut: RouteShortcut): void {
    const key = `${method} ${url}`;
    if (this.shortcuts.has(key)) throw new Error(`A shortcut for ${key} is already registered`);
    this.shortcuts.set(key, shortcut);
  }

  /** Whether the request was answered by its route's shortcut. */
  answer(request: FastifyRequest, reply: FastifyReply): boolean {
    if (this.shortcuts.size === 0) return false;
    const shortcut = this.shortcuts.get(`${request.method} ${request.routeOptions.url}`);
    return shortcut !== undefined && shortcut(request, reply);
  }
}

@Global()
@Module({ providers: [RouteShortcuts], exports: [RouteShortcuts] })
export class RouteShortcutsModule {}

/**
 * A guard that can also tell, synchronously and without I/O, that it lets a request through:
 * true only when canActivate would let it through; false when it would refuse, or would have to
 * wait for something (a database read, Redis) to know. Lets a route shortcut run the very
 * guards the router runs.
 */
export interface InMemoryGuard extends CanActivate {
  admitsFromMemory(context: ExecutionContext): boolean;
}

/**
 * admitsFromMemory for a guard whose canActivate decides without I/O: its answer, with a
 * refusal (thrown as an error for the router to answer) as false.
 */
export function admitsUnlessRefused(canActivate: () => boolean): boolean {
  try {
    return canActivate();
  } catch {
    return false;
  }
}

/** The ExecutionContext of an HTTP request to a controller method, for guards run outside Nest's router. */
export class RouteContext implements ExecutionContext, HttpArgumentsHost {
  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly controller: Type<unknown>,
    private readonly handler: (...args: never[]) => unknown,
  ) {}

  getType<TContext extends string = ContextType>(): TContext {
    return 'http' as TContext;
  }
  getClass<T = unknown>(): Type<T> {
    return this.controller as Type<T>;
  }
  getHandler(): (...args: never[]) => unknown {
    return this.handler;
  }
  getArgs<T extends unknown[] = unknown[]>(): T {
    return [this.request, this.reply] as T;
  }
  getArgByIndex<T = unknown>(index: number): T {
    return this.getArgs()[index] as T;
  }
  switchToHttp(): HttpArgumentsHost {
    return this;
  }
  getRequest<T = unknown>(): T {
    return this.request as T;
  }
  getResponse<T = unknown>(): T {
    return this.reply as T;
  }
  getNext<T = unknown>(): T {
    return undefined as T;
  }
  switchToRpc(): RpcArgumentsHost {
    throw new Error('An HTTP route context has no RPC side');
  }
  switchToWs(): WsArgumentsHost {
    throw new Error('An HTTP route context has no WebSocket side');
  }
}
