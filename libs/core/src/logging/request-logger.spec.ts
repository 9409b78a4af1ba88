import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from './logger';
import { RequestLogger } from './request-logger';

describe('RequestLogger', () => {
  const capture = (level: string) => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const parent = createLogger({ LOG_LEVEL: level as never }, 'test', sink);
    const child = jest.spyOn(parent, 'child');
    const log = RequestLogger.factory(parent, { reqId: 'r-1' }, {}) as RequestLogger;
    // pino writes synchronously to a plain stream; a tick lets the Writable take it.
    const written = () => new Promise<Record<string, unknown>[]>((r) => setImmediate(() => r(lines)));
    return { parent, child, log, written };
  };

  it('makes no child for lines below the level, and writes nothing', async () => {
    const { child, log, written } = capture('warn');
    log.info('hello');
    log.debug({ a: 1 }, 'details');
    expect(child).not.toHaveBeenCalled();
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.level).toBe('warn');
    expect(await written()).toEqual([]);
  });

  it('writes enabled lines through a child with the request id, redacted as the parent redacts', async () => {
    const { child, log, written } = capture('info');
    log.info({ headers: { authorization: 'Bearer secret' } }, 'first');
    log.warn('second');
    expect(child).toHaveBeenCalledTimes(1);
    const lines = await written();
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'r-1', msg: 'first', level: 30, headers: { authorization: '[redacted]' } }),
      expect.objectContaining({ reqId: 'r-1', msg: 'second', level: 40 }),
    ]);
  });

  it('gives a route with its own level or serializers a child at once', () => {
    const { parent, child } = capture('warn');
    const log = RequestLogger.factory(parent, { reqId: 'r-2' }, { level: 'debug' }) as Logger;
    expect(child).toHaveBeenCalledWith({ reqId: 'r-2' }, { level: 'debug' });
    expect(log).not.toBeInstanceOf(RequestLogger);
    expect(log.isLevelEnabled('debug')).toBe(true);
  });

  it('makes children of its own child', async () => {
    const { log, written } = capture('info');
    log.child({ part: 'x' }).info('nested');
    expect(await written()).toEqual([expect.objectContaining({ reqId: 'r-1', part: 'x', msg: 'nested' })]);
  });
});
