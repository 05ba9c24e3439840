/**
 * Helpers of the store benchmark: how long the event loop was blocked while something ran,
 * percentiles of timings, and a plain text table.
 */
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopBlock {
  /** Largest event-loop delay seen by perf_hooks (1 ms resolution), ms. */
  delayMaxMs: number;
  /** 99th percentile of that delay, ms. */
  delayP99Ms: number;
  /** Largest gap between two ticks of a 1 ms interval timer, minus the 1 ms it asked for. */
  timerGapMaxMs: number;
  /** 99th percentile of those gaps (minus 1 ms). */
  timerGapP99Ms: number;
  /**
   * The longest gap in which the main thread was actually on a CPU (its own CPU time over the
   * gap, process.threadCpuUsage): our JavaScript, the driver's callbacks and GC. On a loaded
   * machine a gap can also be the OS running someone else; this figure leaves that out.
   */
  busyGapMaxMs: number;
  /** The longest garbage-collection pause. */
  gcMaxMs: number;
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

/**
 * Watches the event loop while `work` runs, two ways: perf_hooks' delay histogram (a libuv timer
 * that measures how late it fires) and a 1 ms `setInterval` whose largest gap is the longest
 * stretch no callback could run. Both are stopped on every path.
 */
export async function watchLoop<T>(work: () => Promise<T>): Promise<{ result: T; block: LoopBlock }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const gaps: number[] = [];
  let busyGapMaxMs = 0;
  let last = performance.now();
  let lastCpu = process.threadCpuUsage();
  const tick = (): void => {
    const now = performance.now();
    const cpu = process.threadCpuUsage();
    const gap = now - last;
    gaps.push(gap);
    busyGapMaxMs = Math.max(busyGapMaxMs, Math.min(gap, cpuMs(cpu) - cpuMs(lastCpu)));
    last = now;
    lastCpu = cpu;
  };
  const timer = setInterval(tick, 1);
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  histogram.enable();
  try {
    const result = await work();
    tick();
    return {
      result,
      block: {
        delayMaxMs: round(histogram.max / 1e6, 1),
        delayP99Ms: round(histogram.percentile(99) / 1e6, 1),
        timerGapMaxMs: round(Math.max(0, ...gaps) - 1, 1),
        timerGapP99Ms: round(Math.max(0, percentile(gaps, 0.99) - 1), 1),
        busyGapMaxMs: round(Math.max(0, busyGapMaxMs - 1), 1),
        gcMaxMs: round(gcMaxMs, 1),
      },
    };
  } finally {
    histogram.disable();
    clearInterval(timer);
    gc.disconnect();
  }
}

/** Nearest-rank percentile (0 ≤ q ≤ 1) of unsorted values; 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

export const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

export const mb = (bytes: number): number => round(bytes / 1e6, 3);

/** Milliseconds since `t0` (a performance.now() value). */
export const since = (t0: number): number => round(performance.now() - t0, 1);

/** A table with the first column left-aligned and the others right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
