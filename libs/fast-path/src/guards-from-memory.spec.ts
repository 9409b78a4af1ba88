import type { GlobalGuards, InMemoryGuard } from '@itn/auth';
import { InventoryController } from '@itn/inventory';
import { Controller, Get, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GuardsFromMemory } from './guards-from-memory';

describe(GuardsFromMemory.name, () => {
  const request = { headers: {} } as FastifyRequest;
  const reply = {} as FastifyReply;
  const guard = (admits: boolean, seen: ExecutionContext[] = []): InMemoryGuard => ({
    canActivate: () => admits,
    admitsFromMemory: (context) => {
      seen.push(context);
      return admits;
    },
  });
  const sutWith = (...guards: InMemoryGuard[]) =>
    new GuardsFromMemory({ inOrder: () => guards } as unknown as GlobalGuards);

  it('admits only when every global guard admits from memory, in order, with the router’s context', () => {
    const seen: ExecutionContext[] = [];
    expect(sutWith(guard(true, seen), guard(true, seen)).admit(request, reply, InventoryController, 'get')).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen[0].getClass()).toBe(InventoryController);
    expect(seen[0].getHandler()).toBe(InventoryController.prototype.get);
    expect(seen[0].switchToHttp().getRequest()).toBe(request);

    const after: ExecutionContext[] = [];
    expect(sutWith(guard(false), guard(true, after)).admit(request, reply, InventoryController, 'get')).toBe(false);
    expect(after).toEqual([]);
    expect(sutWith().admit(request, reply, InventoryController, 'get')).toBe(false);
  });

  it('refuses, at start-up, to shortcut a route with guards of its own', () => {
    class OwnGuard implements CanActivate {
      canActivate = () => false;
    }
    @Controller('guarded')
    class Guarded {
      @Get()
      @UseGuards(OwnGuard)
      read() {}
    }
    const sut = sutWith(guard(true));
    expect(() => sut.assertOnlyGlobal(Guarded, 'read')).toThrow(/Guarded.read has __guards__ of its own/);
    expect(() => sut.assertOnlyGlobal(InventoryController, 'get')).not.toThrow();
  });
});
