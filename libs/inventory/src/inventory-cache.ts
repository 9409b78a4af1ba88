import { EventFollower } from '@itn/events';
import { Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';

export interface CachedInventory {
  /** The answer, serialized and encoded once: sent as is on every read. */
  body: Buffer;
  etag: string;
}

const MAX_STATIONS = 10_000;

/**
 * Station inventories as last read, kept until the event log says that station's stock
 * changed. Inventory reads are the busiest reads; this serves them without a query.
 *
 * It works only where this process follows the event log (the API); elsewhere every read
 * goes to the database. A per-station generation guards against the race where a read
 * that began before a change finishes after its invalidation.
 */
@Injectable()
export class InventoryCache implements OnApplicationBootstrap {
  private readonly entries = new Map<string, CachedInventory>();
  private readonly generations = new Map<string, number>();
  private enabled = false;

  constructor(@Optional() private readonly follower?: EventFollower) {}

  onApplicationBootstrap(): void {
    if (!this.follower) return;
    this.follower.subscribe((e) => {
      if (e.event.type === 'inventory.changed') for (const s of e.event.stationIds) this.invalidate(s);
    });
    this.enabled = true;
  }

  get(stationId: string): CachedInventory | undefined {
    return this.enabled ? this.entries.get(stationId) : undefined;
  }

  /** The token to hand back to `set`: the station's generation before the read. */
  generationOf(stationId: string): number {
    return this.generations.get(stationId) ?? 0;
  }

  set(stationId: string, generation: number, value: CachedInventory): void {
    if (!this.enabled || this.generationOf(stationId) !== generation) return;
    if (this.entries.size >= MAX_STATIONS) this.entries.clear();
    this.entries.set(stationId, value);
  }

  invalidate(stationId: string): void {
    this.generations.set(stationId, this.generationOf(stationId) + 1);
    this.entries.delete(stationId);
  }
}
