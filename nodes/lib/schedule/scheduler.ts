import { isDeepStrictEqual } from 'node:util';
import { systemClock } from '../util/clock.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { DueTimer } from './due-timer.js';
import { Entry } from './entry.js';
import { FairGate } from './gate.js';
import { hostKey } from './host.js';
import { RollingHistogram } from '../util/rolling-histogram.js';
import { jittered, nextNominal, retryDelay } from './timing.js';
import type { RunInfo, RunReport, SchedulableStream, SchedulerOptions, SchedulerStats } from './types.js';

export type { RunInfo, RunReport, SchedulableStream, SchedulerOptions, SchedulerStats } from './types.js';

/**
 * Probes every enabled stream once per interval, with at most one timer for the whole fleet: due
 * times live in a min-heap and a single clock timer is armed for the earliest, so 10,000 streams
 * cost O(log n) per probe and no per-stream timers. Timing policy: see timing.ts.
 */
export class ProbeScheduler<S extends SchedulableStream> {
  private readonly run: SchedulerOptions<S>['run'];
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly jitter: number;
  private readonly retryBaseMs: number;
  private readonly runTimeoutMs: number | undefined;
  private readonly closeTimeoutMs: number;
  private readonly onError: SchedulerOptions<S>['onError'];
  private readonly entries = new Map<string, Entry<S>>();
  private readonly due: DueTimer<Entry<S>>;
  private readonly gate: FairGate<Entry<S>>;
  /** Start minus due time of every scheduled run over the last minute (for /metrics). */
  private readonly lag: RollingHistogram;
  private readonly inflight = new Set<Promise<void>>();
  private queuedCount = 0;
  private paused = false;
  private closing: Promise<void> | undefined;

  constructor(options: SchedulerOptions<S>) {
    this.run = options.run;
    this.clock = options.clock ?? systemClock;
    this.lag = new RollingHistogram({ now: () => this.clock.now() });
    this.random = options.random ?? Math.random;
    this.jitter = checkRange('jitter', options.jitter ?? 0.1, 0, 1);
    this.retryBaseMs = checkRange('retryBaseMs', options.retryBaseMs ?? 1000, 1, Infinity);
    this.runTimeoutMs = options.runTimeoutMs;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 1500;
    this.onError = options.onError;
    this.due = new DueTimer<Entry<S>>(this.clock, () => this.onDue());
    this.gate = new FairGate(
      Math.floor(checkRange('maxConcurrent', options.maxConcurrent ?? 64, 1, Infinity)),
      Math.floor(checkRange('maxPerHost', options.maxPerHost ?? 2, 1, Infinity)),
    );
  }

  /**
   * Makes `list` the set of streams. Added streams get their first probe spread over their
   * interval; removed ones stop and their running probe is aborted; a stream whose fields changed
   * (same id) restarts as if new; an unchanged one keeps its rhythm. Streams are compared by value,
   * so a reloaded config of fresh objects restarts only what really changed.
   * Throws (changing nothing) on a duplicate id or a bad interval.
   */
  setStreams(list: readonly S[]): void {
    if (this.closing) return;
    const incoming = new Map<string, S>();
    for (const stream of list) {
      if (incoming.has(stream.id)) throw new Error(`duplicate stream id "${stream.id}"`);
      if (!(Number.isFinite(stream.intervalMs) && stream.intervalMs > 0)) {
        throw new RangeError(`stream "${stream.id}": intervalMs must be a positive number`);
      }
      incoming.set(stream.id, stream);
    }
    for (const [id, entry] of this.entries) {
      if (!incoming.has(id)) {
        this.kill(entry, 'stream removed from the schedule');
        this.entries.delete(id);
      }
    }
    const now = this.clock.now();
    for (const stream of list) {
      const old = this.entries.get(stream.id);
      if (old && (old.stream === stream || isDeepStrictEqual(old.stream, stream))) {
        old.stream = stream;
        continue;
      }
      const entry = new Entry(stream, hostKey(stream.url));
      if (old) {
        this.kill(old, 'stream changed');
        // Changed twice while the first aborted run still winds down: wait for that one.
        const blocker = old.running ? old : old.predecessor;
        if (blocker?.running) entry.predecessor = blocker;
      }
      this.entries.set(stream.id, entry);
      if (stream.enabled) this.startFresh(entry, now);
    }
    this.drain();
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Probes now, without waiting for the slot: one stream, or every enabled one. Caps still apply
   * (runs queue for a free slot). A stream already running is not probed again (it is left out of
   * the result); one already queued is joined. Resolves when the runs have finished.
   */
  probeNow(id?: string): Promise<RunReport[]> {
    if (this.closing) return Promise.resolve([]);
    const targets = id === undefined ? [...this.entries.values()] : [this.entries.get(id)];
    const now = this.clock.now();
    const reports: Promise<RunReport>[] = [];
    for (const entry of targets) {
      if (!entry?.stream.enabled) continue;
      if (entry.phase === 'waiting') {
        this.due.remove(entry);
        entry.pendingNominal = undefined;
        this.enqueue(entry, now);
      } else if (entry.phase !== 'queued') {
        continue; // running (no overlap), or idle/dead
      }
      reports.push(new Promise((resolve) => entry.waiters.push(resolve)));
    }
    this.drain();
    return Promise.all(reports);
  }

  /** Stops starting scheduled probes (running ones finish; `probeNow` still works). */
  pause(): void {
    this.paused = true;
    this.due.stop();
  }

  /**
   * Resumes the schedule. Slots missed while paused are skipped: each stream goes on at its next
   * grid slot, so the streams keep their spread instead of all firing at once.
   */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const now = this.clock.now();
    for (const entry of this.entries.values()) {
      if (entry.phase !== 'waiting' || entry.dueAt >= now) continue;
      const nominal = nextNominal(entry.lastNominal, entry.stream.intervalMs, now);
      entry.pendingNominal = nominal;
      this.due.move(entry, jittered(nominal, entry.stream.intervalMs, this.jitter, this.random, now));
    }
    this.due.start();
  }

  stats(): SchedulerStats {
    let enabled = 0;
    for (const entry of this.entries.values()) if (entry.stream.enabled) enabled++;
    const stats: SchedulerStats = {
      streams: this.entries.size,
      enabled,
      running: this.gate.running,
      queued: this.queuedCount,
      paused: this.paused,
    };
    return stats;
  }

  /** Schedule lag (start minus due time, ms) of the runs of the last minute. */
  scheduleLag(): RollingHistogram {
    return this.lag;
  }

  /**
   * Stops every timer, aborts every running probe and resolves once they have all settled, or after
   * `closeTimeoutMs` at the latest (a run that ignores its signal cannot hold up a redeploy).
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const entry of this.entries.values()) this.kill(entry, 'scheduler closed');
    this.entries.clear();
    this.due.clear();
    this.gate.clearQueues();
    if (this.inflight.size === 0) return;
    let guard: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      guard = this.clock.setTimeout(resolve, this.closeTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.inflight]), timeout]);
    if (guard !== undefined) this.clock.clearTimeout(guard);
  }

  private startFresh(entry: Entry<S>, now: number): void {
    const interval = entry.stream.intervalMs;
    const anchor = now + this.random() * interval;
    entry.lastNominal = anchor - interval;
    this.schedule(entry, anchor, anchor);
  }

  private schedule(entry: Entry<S>, dueAt: number, nominal: number | undefined): void {
    entry.phase = 'waiting';
    entry.pendingNominal = nominal;
    if (!this.closing) this.due.add(entry, dueAt);
  }

  /** Takes a stream out of the schedule for good; a running probe is aborted and settles later. */
  private kill(entry: Entry<S>, reason: string): void {
    if (entry.phase === 'waiting') this.due.remove(entry);
    if (entry.phase === 'queued') this.queuedCount--;
    entry.phase = 'dead';
    if (entry.running) entry.controller?.abort(new DOMException(reason, 'AbortError'));
    else entry.settleWaiters(false, true);
  }

  private enqueue(entry: Entry<S>, scheduledAt: number): void {
    entry.phase = 'queued';
    entry.scheduledAt = scheduledAt;
    this.queuedCount++;
    this.gate.enqueue(entry);
  }

  private onDue(): void {
    const now = this.clock.now();
    for (let entry = this.due.takeDue(now); entry; entry = this.due.takeDue(now)) this.dispatch(entry, now);
    this.drain();
  }

  /** A slot fell due: queue the run, unless the replaced entry's aborted run still holds the stream. */
  private dispatch(entry: Entry<S>, now: number): void {
    if (entry.pendingNominal !== undefined) entry.lastNominal = entry.pendingNominal;
    if (entry.predecessor?.running) {
      // Unjittered: the nominal slot is strictly after now, so this loop cannot take it again.
      const nominal = nextNominal(entry.lastNominal, entry.stream.intervalMs, now);
      this.schedule(entry, nominal, nominal);
      return;
    }
    entry.predecessor = undefined;
    this.enqueue(entry, entry.dueAt);
  }

  private drain(): void {
    if (this.closing) return;
    for (let entry = this.gate.takeNext(isQueued); entry; entry = this.gate.takeNext(isQueued)) {
      this.start(entry);
    }
  }

  private start(entry: Entry<S>): void {
    this.queuedCount--;
    entry.phase = 'running';
    entry.running = true;
    const controller = new AbortController();
    entry.controller = controller;
    const startedAt = this.clock.now();
    entry.startedAt = startedAt;
    this.lag.add(startedAt - entry.scheduledAt);
    const info: RunInfo = { scheduledAt: entry.scheduledAt, startedAt, attempt: entry.failures + 1 };
    let watchdog: TimerHandle | undefined;
    if (this.runTimeoutMs !== undefined) {
      const ms = this.runTimeoutMs;
      watchdog = this.clock.setTimeout(() => {
        controller.abort(new DOMException(`probe still running after ${ms} ms`, 'TimeoutError'));
      }, ms);
    }
    const settled = this.invoke(entry, controller.signal, info).then((ok) => {
      if (watchdog !== undefined) this.clock.clearTimeout(watchdog);
      this.inflight.delete(settled);
      this.finish(entry, ok);
    });
    this.inflight.add(settled);
  }

  private async invoke(entry: Entry<S>, signal: AbortSignal, info: RunInfo): Promise<boolean> {
    try {
      const result = await this.run(entry.stream, signal, info);
      return result.ok;
    } catch (error) {
      if (!signal.aborted) this.onError?.(error, entry.stream);
      return false;
    }
  }

  private finish(entry: Entry<S>, ok: boolean): void {
    entry.running = false;
    entry.controller = undefined;
    this.gate.release(entry.host);
    if (entry.phase === 'dead') {
      entry.settleWaiters(false, true);
    } else {
      this.scheduleAfterRun(entry, ok, this.clock.now());
      entry.settleWaiters(ok, false);
    }
    this.drain();
  }

  private scheduleAfterRun(entry: Entry<S>, ok: boolean, now: number): void {
    const interval = entry.stream.intervalMs;
    if (ok) {
      // Back on the grid after a retry, skip a slot less than half an interval after the run began:
      // a retry that ended just before a slot would otherwise probe the camera twice in a row
      // (the capacity bench saw 53 ms between two probes, and a GOP cache sent both the same
      // keyframe). After a grid run this changes nothing: its next slot is an interval away.
      const after = entry.failures > 0 ? Math.max(now, entry.startedAt + interval / 2) : now;
      entry.failures = 0;
      const nominal = nextNominal(entry.lastNominal, interval, after);
      this.schedule(entry, jittered(nominal, interval, this.jitter, this.random, now), nominal);
      return;
    }
    const nominal = nextNominal(entry.lastNominal, interval, now);
    const gridAt = jittered(nominal, interval, this.jitter, this.random, now);
    entry.failures++;
    const retryAt = now + retryDelay(entry.failures, this.retryBaseMs, interval);
    if (retryAt < gridAt) this.schedule(entry, retryAt, undefined);
    else this.schedule(entry, gridAt, nominal);
  }
}

function isQueued<S extends SchedulableStream>(entry: Entry<S>): boolean {
  return entry.phase === 'queued';
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!(Number.isFinite(value) || value === Infinity) || value < min || value > max) {
    throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}
