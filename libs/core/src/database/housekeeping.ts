import { Injectable } from '@nestjs/common';

/** Deletes what its owner no longer needs (expired keys, old history); answers how many rows. */
export interface HousekeepingTask {
  /** Names the result, e.g. `refreshTokens`. */
  readonly name: string;
  run(): Promise<number>;
}

/**
 * The housekeeping of every feature: each owner registers the pruning of its own tables, and
 * the scheduled maintenance job runs them all, so no feature deletes another's rows.
 */
@Injectable()
export class Housekeeping {
  private readonly tasks = new Map<string, HousekeepingTask>();

  register(task: HousekeepingTask): void {
    if (this.tasks.has(task.name)) throw new Error(`Housekeeping task ${task.name} is registered twice`);
    this.tasks.set(task.name, task);
  }

  /** Runs every task, one after the other; answers the rows each deleted. */
  async runAll(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const task of this.tasks.values()) deleted[task.name] = await task.run();
    return deleted;
  }
}
