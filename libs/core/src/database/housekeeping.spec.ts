import { Housekeeping } from './housekeeping';

describe(Housekeeping.name, () => {
  it('runs every registered task and answers what each deleted', async () => {
    const sut = new Housekeeping();
    const ran: string[] = [];
    sut.register({ name: 'events', run: async () => (ran.push('events'), 3) });
    sut.register({ name: 'refreshTokens', run: async () => (ran.push('refreshTokens'), 0) });
    expect(await sut.runAll()).toEqual({ events: 3, refreshTokens: 0 });
    expect(ran).toEqual(['events', 'refreshTokens']);
  });

  it('refuses a task registered twice', () => {
    const sut = new Housekeeping();
    sut.register({ name: 'events', run: async () => 0 });
    expect(() => sut.register({ name: 'events', run: async () => 0 })).toThrow('registered twice');
  });
});
