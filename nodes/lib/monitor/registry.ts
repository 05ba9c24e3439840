/**
 * Every StreamMonitor open in this process, so the store's /metrics can report how the probing
 * itself is doing (schedule lag, probes in flight and queued) without the store node knowing the
 * stream-probe nodes: a Node-RED process may run several of each, wired any way.
 */
import type { SchedulerStats } from '../schedule/index.js';
import { LogBuckets } from '../util/rolling-histogram.js';
import type { RollingHistogram } from '../util/rolling-histogram.js';

/** What a monitor shows the registry. */
export interface MonitorMetricsSource {
  stats(): SchedulerStats;
  /** Start minus due time of its scheduled probes (ms), over a rolling window. */
  scheduleLag(): RollingHistogram;
}

/** All open monitors together. */
export interface ScheduleSnapshot {
  monitors: number;
  /** Streams scheduled (enabled) over all monitors. */
  streams: number;
  running: number;
  queued: number;
  /** Schedule lags of the window (ms), all monitors merged. */
  lagWindow: LogBuckets;
  /** Since the process started, closed monitors included: never decreases. */
  lagTotal: { count: number; sumMs: number };
}

export class MonitorRegistry {
  private readonly open = new Set<MonitorMetricsSource>();
  /** Totals of monitors closed since start, so the summary's _count/_sum stay monotonic. */
  private closedCount = 0;
  private closedSumMs = 0;

  /** Adds a monitor; returns its unregister function (idempotent). */
  register(source: MonitorMetricsSource): () => void {
    this.open.add(source);
    return () => {
      if (!this.open.delete(source)) return;
      const { count, sum } = source.scheduleLag().total;
      this.closedCount += count;
      this.closedSumMs += sum;
    };
  }

  get size(): number {
    return this.open.size;
  }

  snapshot(): ScheduleSnapshot {
    const out: ScheduleSnapshot = {
      monitors: this.open.size,
      streams: 0,
      running: 0,
      queued: 0,
      lagWindow: new LogBuckets(),
      lagTotal: { count: this.closedCount, sumMs: this.closedSumMs },
    };
    for (const source of this.open) {
      const stats = source.stats();
      out.streams += stats.enabled;
      out.running += stats.running;
      out.queued += stats.queued;
      const lag = source.scheduleLag();
      lag.window(out.lagWindow);
      out.lagTotal.count += lag.total.count;
      out.lagTotal.sumMs += lag.total.sum;
    }
    return out;
  }
}

/** The process-wide registry: StreamMonitors register here while open. */
export const monitorRegistry = new MonitorRegistry();
