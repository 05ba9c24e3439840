import type { Health, HealthState, ProbeCode } from '../heartbeat.js';

export interface HealthOptions {
  /** Consecutive failures that make a stream `offline` (default 2: one lost probe is not an outage). */
  failuresToOffline?: number;
  /** Consecutive good probes that make it `online` again (default 1). */
  successesToOnline?: number;
  /**
   * Partial-evidence results (since the last good one) that make it `degraded` (default 1: a
   * `frozen` verdict already compares two probes, and while a stream is not online the next probe
   * fetches the costly keyframe evidence that confirms or clears it).
   */
  partialsToDegraded?: number;
  /** Window in which state changes are counted for `flapping` (default 10 min). */
  flapWindowMs?: number;
  /** More than this many state changes within the window is `flapping` (default 4). */
  flapChanges?: number;
  /** A good probe whose first frame took longer than this counts as partial evidence (off by default). */
  slowFrameMs?: number;
  /** Wall clock for the `since` of a tracker that has seen nothing yet (default Date.now). */
  now?: () => number;
}

/** An outage, reported once it has ended. */
export interface Outage {
  streamId: string;
  /** ISO time of the first failed probe of the streak that went offline: when the outage began. */
  start: string;
  /** ISO time of the first good (or partial) probe after it: when it ended. */
  end: string;
  durationMs: number;
  /** The most frequent failure code during the outage (ties: the one seen first). */
  code: ProbeCode;
  /** The message of the first failure with that code. */
  message: string;
}

export interface HealthUpdate {
  health: Health;
  /** Present on the update that ended an outage. */
  outage?: Outage;
  stateChanged: boolean;
  /** `health.flapping` differs from the previous update. */
  flappingChanged: boolean;
}

/** Per-code tally of an outage (or of the failure streak that may become one). */
export interface CodeTally {
  code: ProbeCode;
  count: number;
  message: string;
}

/** A tracker's state as plain JSON, so a store can make `since` and streaks survive a restart. */
export interface HealthSnapshot {
  version: 1;
  streamId: string;
  state: HealthState;
  since: string;
  failStreak: number;
  goodStreak: number;
  partialStreak: number;
  /** First failure of the current failure streak. */
  failStart?: string;
  /** First good probe of the current good streak. */
  goodStart?: string;
  /** First partial probe since the last good one. */
  partialStart?: string;
  /** Failure codes since `failStart` (the outage's, once offline). */
  codes: CodeTally[];
  /** Times of the most recent state changes (for flapping). */
  changes: string[];
  flapping: boolean;
}
