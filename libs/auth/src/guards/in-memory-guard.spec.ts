import { Public, RouteMetadata } from '@itn/core';
import { Controller, Get, Post, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { Roles } from '../auth-user';
import type { Role } from '../entities/user.entity';
import { StationAccess, StationAccessGuard, StationAccessPolicy } from '../station-access';
import type { TokensService } from '../tokens.service';
import type { InMemoryGuard } from './in-memory-guard';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

/**
 * admitsFromMemory is what a route shortcut asks instead of canActivate: it must be true only
 * when canActivate lets the request through without waiting for anything.
 */
describe('InMemoryGuard', () => {
  const STATION = '0190a8a6-7d2e-7000-8000-00000000000a';
  const OTHER = '0190a8a6-7d2e-7000-8000-00000000000b';

  @Controller('things/:stationId')
  class Things {
    @Get()
    @StationAccess('params.stationId')
    read() {}

    @Post()
    @Roles('admin')
    write() {}

    @Get('open')
    @Public()
    open() {}
  }

  const users: Record<string, { role: Role; stations: string[] }> = {
    trader: { role: 'trader', stations: [STATION] },
    admin: { role: 'admin', stations: [] },
  };
  const dataSource = {
    query: (_sql: string, [id]: [string]) => Promise.resolve(users[id] ? [users[id]] : []),
  } as unknown as DataSource;
  const tokens = {
    verifyAccessToken: (token: string) => {
      if (!token.startsWith('valid-')) throw new Error('invalid signature');
      return { user: { id: token.slice('valid-'.length), role: 'trader' }, expiresAt: Date.now() + 60_000 };
    },
  } as unknown as TokensService;

  let policy: StationAccessPolicy;
  let guards: InMemoryGuard[];
  beforeEach(() => {
    const metadata = new RouteMetadata(new Reflector(), null);
    policy = new StationAccessPolicy(dataSource);
    guards = [
      new JwtAuthGuard(metadata, tokens, policy),
      new RolesGuard(metadata),
      new StationAccessGuard(metadata, policy),
    ];
  });

  const contextOf = (method: 'read' | 'write' | 'open', token: string | undefined, stationId: string) => {
    const request = { headers: token ? { authorization: `Bearer ${token}` } : {}, params: { stationId } };
    return {
      getType: () => 'http',
      getHandler: () => Things.prototype[method],
      getClass: () => Things,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
  };
  /** What the router's chain does: each guard's answer, or 'waits' when it returns a promise, or the refusal. */
  const routerAnswer = (context: ExecutionContext): 'admits' | 'waits' | 'refuses' => {
    for (const guard of guards) {
      try {
        const answer = guard.canActivate(context);
        if (answer instanceof Promise) {
          answer.catch(() => undefined);
          return 'waits';
        }
        if (answer !== true) return 'refuses';
      } catch {
        return 'refuses';
      }
    }
    return 'admits';
  };
  const fromMemory = (context: ExecutionContext) => guards.every((guard) => guard.admitsFromMemory(context));

  it.each([
    ['a member, memberships known', 'read', 'valid-trader', STATION, true, 'admits'],
    ['an outsider station, memberships known', 'read', 'valid-trader', OTHER, true, 'refuses'],
    ['a trader on an admin route', 'write', 'valid-trader', STATION, true, 'refuses'],
    ['an admin on an admin route', 'write', 'valid-admin', STATION, true, 'admits'],
    ['a bad token', 'read', 'forged', STATION, true, 'refuses'],
    ['no token on a public route', 'open', undefined, STATION, true, 'admits'],
    ['no token', 'read', undefined, STATION, true, 'refuses'],
    ['a member, memberships to read', 'read', 'valid-trader', STATION, false, 'waits'],
    ['a removed user', 'read', 'valid-gone', STATION, true, 'refuses'],
  ] as const)(
    '%s: admits from memory only when the router admits at once',
    async (_case, method, token, station, known, expected) => {
      if (known && token?.startsWith('valid-')) await policy.current(token.slice('valid-'.length));
      const context = contextOf(method, token, station);
      const admitted = fromMemory(context);
      // Fresh request objects for the router: the JWT guard puts the user on the request.
      const router = routerAnswer(contextOf(method, token, station));
      expect(router).toBe(expected);
      expect(admitted).toBe(router === 'admits');
    },
  );

  it('a member is admitted from memory once their memberships are known', async () => {
    expect(fromMemory(contextOf('read', 'valid-trader', STATION))).toBe(false);
    await policy.current('trader');
    expect(fromMemory(contextOf('read', 'valid-trader', STATION))).toBe(true);
    expect(fromMemory(contextOf('read', 'valid-trader', OTHER))).toBe(false);
  });
});
