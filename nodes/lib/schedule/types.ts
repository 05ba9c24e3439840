import type { Clock } from '../util/clock.js';

/** The fields the scheduler reads from a stream; anything else travels untouched to `run`. */
export interface SchedulableStream {
  id: string;
  url: string;
  intervalMs: number;
  enabled: boolean;
}

export interface RunInfo {
  /** When the run was due (its slot, or the time of the `probeNow` call). */
  scheduledAt: number;
  startedAt: number;
  /** 1 for a regular probe; n + 1 for the retry after n consecutive failures. */
  attempt: number;
}

/** What `probeNow` reports for each run it started (or joined while the run was still queued). */
export interface RunReport {
  id: string;
  ok: boolean;
  /** The stream was removed or changed, or the scheduler closed, before the run finished. */
  aborted: boolean;
}

export interface SchedulerOptions<S extends SchedulableStream> {
  /**
   * Probes one stream. Must settle (the probe's own deadline sees to that) and should stop soon
   * after `signal` aborts. A rejection counts as a failed probe.
   */
  run: (stream: S, signal: AbortSignal, info: RunInfo) => Promise<{ ok: boolean }>;
  /** Probes running at once over all hosts (default 64). */
  maxConcurrent?: number;
  /** Probes running at once against one hostname:port (default 2). */
  maxPerHost?: number;
  clock?: Clock;
  /** Uniform in [0, 1); injectable so tests are reproducible. */
  random?: () => number;
  /** Fraction of the interval by which probe gaps may vary (default 0.1: ±10 %). */
  jitter?: number;
  /** First retry delay after a failure; doubles per failure, capped at the interval (default 1000). */
  retryBaseMs?: number;
  /** Abort a run's signal when it has run this long (a guard against a run ignoring its deadline). */
  runTimeoutMs?: number;
  /** Longest `close()` waits for aborted runs to settle (default 1500: a node must close within 2 s). */
  closeTimeoutMs?: number;
  /** Told when `run` rejects for a reason other than its abort. */
  onError?: (error: unknown, stream: S) => void;
}

export interface SchedulerStats {
  streams: number;
  enabled: number;
  running: number;
  queued: number;
  paused: boolean;
}
