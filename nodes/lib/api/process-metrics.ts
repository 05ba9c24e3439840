/**
 * How the process running the monitor is doing, in Prometheus form: the schedule (lag, probes in
 * flight and queued, from ../monitor/registry), the event loop, and the standard `process_*`
 * metrics every Prometheus client library exports
 * (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics).
 *
 * Windows: quantiles describe the last minute, not the whole life of the process (a p99 since
 * start would hide today's trouble under last week's calm), and not "since the last scrape"
 * (two scrapers would then each see half). `_sum` and `_count` are since start, as a summary's
 * must be. Schedule lag: every probe of the last 60 s (util/rolling-histogram.ts). Event loop:
 * perf_hooks.monitorEventLoopDelay (a native timer every 20 ms, no JS per sample), folded every
 * 5 s into a ring of 12 slots; its histograms cannot be merged, so the window's p99 is the worst
 * 5 s slot's p99 (an upper bound of the minute's p99) and its max the exact maximum. The event
 * loop is watched from the first scrape on.
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { monitorRegistry } from '../monitor/registry.js';
import type { MonitorRegistry } from '../monitor/registry.js';
import { escapeHelp, escapeLabelValue, formatValue, metricFamily } from './prometheus.js';

const ELD_RESOLUTION_MS = 20;
const ELD_SLOT_MS = 5_000;
const ELD_SLOTS = 12;
const NS_PER_S = 1e9;

interface EldSlot {
  p99Ns: number;
  maxNs: number;
}

/** The event-loop delay of the last minute, from perf_hooks, in 5 s slots. */
export class EventLoopDelayWindow {
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;
  private readonly slots: EldSlot[] = [];
  private readonly timer: NodeJS.Timeout;
  private totalCount = 0;
  private totalSumNs = 0;

  constructor(private readonly slotCount = ELD_SLOTS, slotMs = ELD_SLOT_MS) {
    this.histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.histogram.enable();
    // unref: watching the loop must never keep Node-RED (or a test) from exiting.
    this.timer = setInterval(() => this.rotate(), slotMs).unref();
  }

  /** Closes the current slot: its figures join the ring, the native histogram starts afresh. */
  rotate(): void {
    const h = this.histogram;
    if (h.count > 0) {
      this.slots.push({ p99Ns: h.percentile(99), maxNs: h.max });
      this.totalCount += h.count;
      this.totalSumNs += h.mean * h.count;
    }
    if (this.slots.length > this.slotCount) this.slots.splice(0, this.slots.length - this.slotCount);
    h.reset();
  }

  /** Seconds; undefined figures when nothing was measured yet. */
  snapshot(): { p99?: number; max?: number; count: number; sum: number } {
    const live = this.histogram;
    const all: EldSlot[] = [...this.slots];
    if (live.count > 0) all.push({ p99Ns: live.percentile(99), maxNs: live.max });
    const count = this.totalCount + live.count;
    const sum = (this.totalSumNs + (live.count > 0 ? live.mean * live.count : 0)) / NS_PER_S;
    if (all.length === 0) return { count, sum };
    return {
      p99: Math.max(...all.map((s) => s.p99Ns)) / NS_PER_S,
      max: Math.max(...all.map((s) => s.maxNs)) / NS_PER_S,
      count,
      sum,
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}

let eventLoop: EventLoopDelayWindow | undefined;

/** The process-wide event-loop watcher, started on first use. */
export function eventLoopWindow(): EventLoopDelayWindow {
  eventLoop ??= new EventLoopDelayWindow();
  return eventLoop;
}

/** Stops the watcher (tests; a later scrape starts a new one). */
export function stopEventLoopWindow(): void {
  eventLoop?.stop();
  eventLoop = undefined;
}

/**
 * A summary: windowed quantiles, then `_sum` and `_count` since start
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details).
 */
export function summaryFamily(name: string, help: string, quantiles: readonly [number, number | undefined][], sum: number, count: number): string {
  const lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} summary`];
  for (const [q, value] of quantiles) {
    if (value !== undefined) lines.push(`${name}{quantile="${escapeLabelValue(String(q))}"} ${formatValue(value)}`);
  }
  lines.push(`${name}_sum ${formatValue(sum)}`, `${name}_count ${formatValue(count)}`);
  return lines.join('\n') + '\n';
}

/** Open file descriptors (Linux /proc); undefined elsewhere. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1; // minus the descriptor readdir itself holds
  } catch {
    return undefined;
  }
}

const startTimeSeconds = Math.round((Date.now() - performance.now()) / 10) / 100;

/** Schedule, event-loop and process metrics as exposition text. */
export function renderRuntimeMetrics(registry: MonitorRegistry = monitorRegistry, loop: EventLoopDelayWindow = eventLoopWindow()): string {
  const schedule = registry.snapshot();
  const lagS = (p: number): number | undefined => {
    const ms = schedule.lagWindow.percentile(p);
    return ms === undefined ? undefined : ms / 1000;
  };
  const eld = loop.snapshot();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const fds = openFds();
  return [
    summaryFamily('streampulse_schedule_lag_seconds',
      'Start of a scheduled probe minus its due time; quantiles over the last 60 s, sum and count since start.',
      [[0.5, lagS(50)], [0.99, lagS(99)]], schedule.lagTotal.sumMs / 1000, schedule.lagTotal.count),
    metricFamily('streampulse_schedule_lag_max_seconds', 'gauge', 'Longest schedule lag of the last 60 s.',
      schedule.lagWindow.count > 0 ? [{ value: schedule.lagWindow.max / 1000 }] : []),
    metricFamily('streampulse_probes_in_flight', 'gauge', 'Scheduled probes running now, over all stream-probe nodes.', [{ value: schedule.running }]),
    metricFamily('streampulse_probes_queued', 'gauge', 'Probes due but waiting for a free slot (concurrency or per-host cap).', [{ value: schedule.queued }]),
    metricFamily('streampulse_scheduled_streams', 'gauge', 'Enabled streams on a probe schedule, over all stream-probe nodes.', [{ value: schedule.streams }]),
    summaryFamily('streampulse_event_loop_delay_seconds',
      'Event-loop delay (perf_hooks, 20 ms resolution); quantile: the worst 5 s slot of the last 60 s; sum and count since watching began.',
      [[0.99, eld.p99]], eld.sum, eld.count),
    metricFamily('streampulse_event_loop_delay_max_seconds', 'gauge', 'Longest event-loop delay of the last 60 s.',
      eld.max !== undefined ? [{ value: eld.max }] : []),
    metricFamily('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', [{ value: (cpu.user + cpu.system) / 1e6 }]),
    metricFamily('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [{ value: memory.rss }]),
    metricFamily('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [{ value: startTimeSeconds }]),
    metricFamily('process_open_handles', 'gauge', 'Active libuv handles and requests (process.getActiveResourcesInfo()).',
      [{ value: process.getActiveResourcesInfo().length }]),
    metricFamily('process_open_fds', 'gauge', 'Number of open file descriptors.', fds !== undefined ? [{ value: fds }] : []),
    metricFamily('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap reserved (in use plus free space V8 keeps) in bytes.', [{ value: memory.heapTotal }]),
    metricFamily('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use in bytes.', [{ value: memory.heapUsed }]),
    metricFamily('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript objects (buffers) in bytes.', [{ value: memory.external }]),
  ].join('');
}
