import type { Health, HealthState, ProbeResult } from '../heartbeat.js';
import { classify } from './classify.js';
import { FlapWindow } from './flaps.js';
import { readSnapshot } from './snapshot.js';
import type { CodeTally, HealthOptions, HealthSnapshot, HealthUpdate, Outage } from './types.js';

/**
 * The health state machine of one stream (O(1) per update).
 *
 *   unknown ──N bad──▶ offline ◀──N bad── online / degraded      N = failuresToOffline (2)
 *   any ──M good──▶ online                                        M = successesToOnline (1)
 *   unknown/online ──P partial──▶ degraded                        P = partialsToDegraded (1)
 *   offline ──1 partial──▶ degraded   (the camera answers again: the outage is over)
 *
 * Streaks: a good result resets the failure and partial streaks. A partial result neither
 * resets nor extends the failure streak (the camera answered, but without usable video: it is no
 * evidence that the outage is over, nor of a new one), and never makes a stream offline by itself.
 * A single failure leaves the state as it is (debounce) with failStreak 1.
 *
 * `since` is when the evidence for the current state began: for offline the first failure of the
 * streak (when the outage began), for online the first good probe of the streak, for degraded the
 * first partial one.
 */
export class HealthTracker {
  private readonly failuresToOffline: number;
  private readonly successesToOnline: number;
  private readonly partialsToDegraded: number;
  private readonly slowFrameMs: number | undefined;
  private readonly now: () => number;
  private flaps: FlapWindow;
  private readonly flapChanges: number;
  private readonly flapWindowMs: number;
  private state: HealthState = 'unknown';
  private since: number;
  private failStreak = 0;
  private goodStreak = 0;
  private partialStreak = 0;
  private failStart: number | undefined;
  private goodStart: number | undefined;
  private partialStart: number | undefined;
  /** Failure codes since `failStart`; while offline, of the whole outage. At most one per code. */
  private codes: CodeTally[] = [];
  private flapping = false;

  constructor(
    readonly streamId: string,
    options: HealthOptions = {},
  ) {
    this.failuresToOffline = atLeastOne(options.failuresToOffline ?? 2);
    this.successesToOnline = atLeastOne(options.successesToOnline ?? 1);
    this.partialsToDegraded = atLeastOne(options.partialsToDegraded ?? 1);
    this.flapChanges = Math.max(0, Math.floor(options.flapChanges ?? 4));
    this.flapWindowMs = options.flapWindowMs ?? 10 * 60_000;
    this.slowFrameMs = options.slowFrameMs;
    this.now = options.now ?? Date.now;
    this.flaps = new FlapWindow(this.flapChanges, this.flapWindowMs);
    this.since = this.now();
  }

  /** The current verdict, without a probe (`changed` false). */
  current(): Health {
    return this.health(false);
  }

  update(result: ProbeResult): HealthUpdate {
    const parsed = Date.parse(result.ts);
    const t = Number.isFinite(parsed) ? parsed : this.now();
    const previous = this.state;
    let next: HealthState = previous;
    let nextSince = this.since;
    switch (classify(result, this.slowFrameMs)) {
      case 'good':
        this.goodStart ??= t;
        this.goodStreak++;
        this.failStreak = 0;
        this.failStart = undefined;
        this.partialStreak = 0;
        this.partialStart = undefined;
        if (previous !== 'online' && this.goodStreak >= this.successesToOnline) {
          next = 'online';
          nextSince = this.goodStart;
        }
        break;
      case 'partial':
        this.goodStreak = 0;
        this.goodStart = undefined;
        this.partialStart ??= t;
        this.partialStreak++;
        if (previous === 'offline' || (previous !== 'degraded' && this.partialStreak >= this.partialsToDegraded)) {
          next = 'degraded';
          nextSince = previous === 'offline' ? t : this.partialStart;
        }
        break;
      case 'bad':
        this.goodStreak = 0;
        this.goodStart = undefined;
        if (this.failStreak === 0) {
          this.failStart = t;
          if (previous !== 'offline') this.codes = [];
        }
        this.failStreak++;
        this.tally(result);
        if (previous !== 'offline' && this.failStreak >= this.failuresToOffline) {
          next = 'offline';
          nextSince = this.failStart ?? t;
        }
        break;
    }
    let outage: Outage | undefined;
    if (next !== previous) {
      if (previous === 'offline') {
        outage = this.outage(next === 'online' ? nextSince : t);
        this.codes = [];
        this.failStreak = 0;
        this.failStart = undefined;
      }
      if (previous !== 'unknown') this.flaps.record(t);
      this.state = next;
      this.since = nextSince;
    }
    const wasFlapping = this.flapping;
    this.flapping = this.flaps.isFlapping(t);
    const update: HealthUpdate = {
      health: this.health(next !== previous),
      stateChanged: next !== previous,
      flappingChanged: this.flapping !== wasFlapping,
    };
    if (outage) update.outage = outage;
    return update;
  }

  snapshot(): HealthSnapshot {
    const snap: HealthSnapshot = {
      version: 1,
      streamId: this.streamId,
      state: this.state,
      since: iso(this.since),
      failStreak: this.failStreak,
      goodStreak: this.goodStreak,
      partialStreak: this.partialStreak,
      codes: this.codes.map((c) => ({ ...c })),
      changes: this.flaps.list().map(iso),
      flapping: this.flapping,
    };
    if (this.failStart !== undefined) snap.failStart = iso(this.failStart);
    if (this.goodStart !== undefined) snap.goodStart = iso(this.goodStart);
    if (this.partialStart !== undefined) snap.partialStart = iso(this.partialStart);
    return snap;
  }

  /**
   * Takes over a snapshot (e.g. read back from the store after a restart), so an outage that began
   * before the restart keeps its `since`. Returns false, changing nothing, when `value` is not a
   * valid snapshot of this stream.
   */
  restore(value: unknown): boolean {
    const snap = readSnapshot(value);
    if (!snap || snap.streamId !== this.streamId) return false;
    this.state = snap.state;
    this.since = Date.parse(snap.since);
    this.failStreak = snap.failStreak;
    this.goodStreak = snap.goodStreak;
    this.partialStreak = snap.partialStreak;
    this.failStart = optionalTime(snap.failStart);
    this.goodStart = optionalTime(snap.goodStart);
    this.partialStart = optionalTime(snap.partialStart);
    this.codes = snap.codes.map((c) => ({ ...c }));
    this.flaps = new FlapWindow(this.flapChanges, this.flapWindowMs);
    for (const change of snap.changes) this.flaps.record(Date.parse(change));
    this.flapping = snap.flapping;
    return true;
  }

  private tally(result: ProbeResult): void {
    const known = this.codes.find((c) => c.code === result.code);
    if (known) known.count++;
    else this.codes.push({ code: result.code, count: 1, message: result.message });
  }

  private outage(end: number): Outage | undefined {
    // The most frequent code; `codes` is in order of first appearance, so a tie keeps the first.
    let top: CodeTally | undefined;
    for (const tally of this.codes) if (!top || tally.count > top.count) top = tally;
    if (!top) return undefined; // restored mid-outage from a snapshot without codes
    const start = this.since;
    return {
      streamId: this.streamId,
      start: iso(start),
      end: iso(end),
      durationMs: Math.max(0, end - start),
      code: top.code,
      message: top.message,
    };
  }

  private health(changed: boolean): Health {
    return { state: this.state, since: iso(this.since), changed, failStreak: this.failStreak, flapping: this.flapping };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function optionalTime(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

function atLeastOne(n: number): number {
  return Math.max(1, Math.floor(n));
}
