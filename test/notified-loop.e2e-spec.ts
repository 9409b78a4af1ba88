import { NotifiedLoop, NotifiedLoopOptions } from '@itn/core';
import { Client } from 'pg';
import { applyTestEnvironment } from './helpers/test-env';

const CHANNEL = 'itn_test_notified_loop';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NotifiedLoop (e2e, real LISTEN/NOTIFY)', () => {
  let notifier: Client;
  let loop: NotifiedLoop | undefined;

  beforeAll(async () => {
    applyTestEnvironment();
    notifier = new Client({ connectionString: process.env.DATABASE_URL });
    await notifier.connect();
  });
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });
  afterAll(() => notifier.end());

  /** A loop on the test channel that records when each round started. */
  async function startLoop(
    minIntervalMs: number,
    ignorePayload?: string,
    wakeInProcess?: NotifiedLoopOptions['wakeInProcess'],
  ): Promise<number[]> {
    const rounds: number[] = [];
    loop = new NotifiedLoop({
      name: 'TestLoop',
      databaseUrl: process.env.DATABASE_URL!,
      channel: CHANNEL,
      pollMs: 60_000,
      minIntervalMs,
      ignorePayload,
      wakeInProcess,
      round: async () => {
        rounds.push(Date.now());
        return false;
      },
    });
    await loop.start();
    await sleep(100);
    return rounds;
  }

  /** `count` notifications, one every `everyMs`; answers when the last was sent. */
  async function notify(count: number, everyMs: number): Promise<number> {
    for (let i = 0; i < count; i++) {
      await notifier.query(`SELECT pg_notify('${CHANNEL}', '')`);
      await sleep(everyMs);
    }
    return Date.now();
  }

  it('serves a stream of notifications with a round at most every minIntervalMs, and none after the last is lost', async () => {
    const rounds = await startLoop(100);
    const before = rounds.length;
    const started = Date.now();
    const last = await notify(60, 10);
    await sleep(300);
    const during = rounds.slice(before);
    const span = last - started;
    // One round per notification would be 60; at most one per 100 ms is about span / 100.
    expect(during.length).toBeLessThanOrEqual(Math.ceil(span / 100) + 2);
    for (let i = 1; i < during.length; i++) expect(during[i] - during[i - 1]).toBeGreaterThanOrEqual(99);
    // The last notification is followed by a round.
    expect(during[during.length - 1]).toBeGreaterThanOrEqual(last - 100);
  });

  it('answers a notification after a quiet spell at once', async () => {
    const rounds = await startLoop(1000);
    await sleep(1100);
    const before = rounds.length;
    const sent = Date.now();
    await notifier.query(`SELECT pg_notify('${CHANNEL}', '')`);
    while (rounds.length === before && Date.now() - sent < 2000) await sleep(5);
    expect(rounds.length).toBe(before + 1);
    expect(rounds[before] - sent).toBeLessThan(500);
  });

  it('runs a round per notification without a minimum interval', async () => {
    const rounds = await startLoop(0);
    const before = rounds.length;
    await notify(20, 20);
    await sleep(200);
    expect(rounds.length - before).toBeGreaterThanOrEqual(15);
  });

  it('passes over notifications that carry its ignorePayload, and answers the others', async () => {
    const rounds = await startLoop(0, 'mine');
    const before = rounds.length;
    for (let i = 0; i < 5; i++) await notifier.query(`SELECT pg_notify('${CHANNEL}', 'mine')`);
    await sleep(200);
    expect(rounds.length).toBe(before);
    await notifier.query(`SELECT pg_notify('${CHANNEL}', 'theirs')`);
    while (rounds.length === before) await sleep(5);
    expect(rounds.length).toBe(before + 1);
  });

  it('is woken in-process while it runs, and unsubscribes when it stops', async () => {
    const wakers = new Set<() => void>();
    const rounds = await startLoop(0, undefined, (wake) => {
      wakers.add(wake);
      return () => wakers.delete(wake);
    });
    expect(wakers.size).toBe(1);
    const before = rounds.length;
    for (const wake of wakers) wake();
    while (rounds.length === before) await sleep(5);
    expect(rounds.length).toBe(before + 1);
    await loop!.stop();
    loop = undefined;
    expect(wakers.size).toBe(0);
  });
});
