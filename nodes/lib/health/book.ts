import type { Health, ProbeResult } from '../heartbeat.js';
import { HealthTracker } from './tracker.js';
import type { HealthOptions, HealthSnapshot, HealthUpdate } from './types.js';

/** Health trackers of many streams, keyed by stream id (O(1) per update). */
export class HealthBook {
  private readonly trackers = new Map<string, HealthTracker>();

  constructor(private readonly options: HealthOptions = {}) {}

  /** Feeds a result to its stream's tracker (created on first sight). */
  update(result: ProbeResult): HealthUpdate {
    return this.tracker(result.stream.id).update(result);
  }

  get(id: string): Health | undefined {
    return this.trackers.get(id)?.current();
  }

  tracker(id: string): HealthTracker {
    let tracker = this.trackers.get(id);
    if (!tracker) {
      tracker = new HealthTracker(id, this.options);
      this.trackers.set(id, tracker);
    }
    return tracker;
  }

  delete(id: string): boolean {
    return this.trackers.delete(id);
  }

  /** Forgets every stream not in `ids` (removed from the config). */
  retain(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.trackers.keys()) if (!keep.has(id)) this.trackers.delete(id);
  }

  get size(): number {
    return this.trackers.size;
  }

  snapshot(): Record<string, HealthSnapshot> {
    const out: Record<string, HealthSnapshot> = {};
    for (const [id, tracker] of this.trackers) out[id] = tracker.snapshot();
    return out;
  }

  /** Restores every valid snapshot in `value` (keyed by stream id); returns how many were taken. */
  restore(value: unknown): number {
    if (typeof value !== 'object' || value === null) return 0;
    let restored = 0;
    for (const [id, snap] of Object.entries(value)) {
      const tracker = new HealthTracker(id, this.options);
      if (!tracker.restore(snap)) continue;
      this.trackers.set(id, tracker);
      restored++;
    }
    return restored;
  }
}
