import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { type Environment, queueConnection, useQueueBackend } from '@itn/core';
import { SHIPMENTS_QUEUE } from '@itn/cargo';

/** The built worker app (`npm test` builds first), run as a real separate process. */
export async function startWorkerProcess(env: Record<string, string> = {}): Promise<ChildProcess> {
  // The queue of the backend the app under test uses (and that the worker inherits).
  const backend = process.env.QUEUE_BACKEND as Environment['QUEUE_BACKEND'];
  useQueueBackend(backend);
  const queue = new Queue(
    SHIPMENTS_QUEUE,
    queueConnection({
      QUEUE_BACKEND: backend,
      REDIS_URL: process.env.REDIS_URL ?? '',
      DATABASE_URL: process.env.DATABASE_URL!,
    }),
  );
  try {
    const before = await queue.getWorkersCount();
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'apps', 'worker', 'src', 'main.js')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 30_000;
    while ((await queue.getWorkersCount()) <= before) {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('worker did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    return child;
  } finally {
    await queue.close();
  }
}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export function stopGracefully(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
