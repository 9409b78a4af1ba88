import { StationAccessPolicy, type UserAccess } from '@itn/auth';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EventFollower } from '../event-follower.service';
import type { AccessChangedData, LoggedEvent } from '../event-types';

/** Told a user's access after each change of it; null when the user no longer exists. */
export type AccessWatcher = (access: UserAccess | null) => void;

/**
 * Applies the log's `access.changed` events on this instance, in log order: the user's cached
 * access is forgotten (guards read it again), and every live socket or stream of the user is
 * told their access after the change, before the follower hands out any later event. So a
 * removed membership, a demotion or a deleted account stops delivery on every instance as
 * soon as its follower reads the change.
 */
@Injectable()
export class AccessChanges implements OnApplicationBootstrap {
  private readonly watchers = new Map<string, Set<AccessWatcher>>();

  constructor(
    private readonly follower: EventFollower,
    private readonly policy: StationAccessPolicy,
  ) {}

  onApplicationBootstrap(): void {
    this.follower.subscribe(({ event }) => {
      if (event.type === 'access.changed') this.apply((event as LoggedEvent<'access.changed'>).data);
    });
  }

  /** Calls `watcher` after each change of the user's access, until the answered function is called. */
  watch(userId: string, watcher: AccessWatcher): () => void {
    let set = this.watchers.get(userId);
    if (!set) this.watchers.set(userId, (set = new Set()));
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(userId) === set) this.watchers.delete(userId);
    };
  }

  private apply(change: AccessChangedData): void {
    this.policy.forget(change.userId);
    const watchers = this.watchers.get(change.userId);
    if (!watchers) return;
    const access: UserAccess | null =
      change.role === null
        ? null
        : { user: { id: change.userId, role: change.role }, stations: new Set(change.stationIds) };
    for (const watcher of [...watchers]) watcher(access);
  }
}
