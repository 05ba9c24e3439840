/**
 * The runtime part of /metrics (nodes/lib/api/process-metrics.ts): schedule lag and probe counts
 * from the monitor registry, event-loop delay, and the standard process metrics, each checked
 * against something the test itself did (a blocked loop, burnt CPU, a listening socket).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { EventLoopDelayWindow, renderRuntimeMetrics, stopEventLoopWindow, summaryFamily } from '../../../nodes/lib/api/process-metrics.js';
import { MonitorRegistry } from '../../../nodes/lib/monitor/registry.js';
import { RollingHistogram } from '../../../nodes/lib/util/rolling-histogram.js';
import type { SchedulerStats } from '../../../nodes/lib/schedule/index.js';

/** name{labels} → value, for the lines of a text exposition; HELP/TYPE lines checked for every name. */
function readSamples(text: string): Map<string, number> {
  assert.ok(text.endsWith('\n'));
  const out = new Map<string, number>();
  const typed = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const type = /^# TYPE (\S+) (counter|gauge|summary)$/.exec(line);
    if (type) {
      typed.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample: ${line}`);
    const name = m[1] ?? '';
    const base = typed.has(name) ? name : name.replace(/_(sum|count)$/, '');
    assert.ok(typed.has(base), `${name} has no TYPE before it`);
    if (base !== name) assert.equal(typed.get(base), 'summary', `${name}: only summaries have _sum/_count`);
    out.set(`${name}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

/** Blocks the loop for `ms` of wall time. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // block the loop on purpose
  }
}

/** Burns `ms` of this process's CPU time (on a shared machine wall time says little), within 10 s. */
function burnCpu(ms: number): void {
  const start = process.cpuUsage();
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

class FakeSource {
  readonly lag = new RollingHistogram();
  constructor(private readonly figures: Partial<SchedulerStats>) {}
  stats(): SchedulerStats {
    return { streams: 0, enabled: 0, running: 0, queued: 0, paused: false, ...this.figures };
  }
  scheduleLag(): RollingHistogram {
    return this.lag;
  }
}

describe('runtime metrics', () => {
  const loop = new EventLoopDelayWindow(12, 5000);
  after(() => {
    loop.stop();
    stopEventLoopWindow();
  });

  it('reports schedule lag quantiles, in-flight, queued and streams over every registered monitor', () => {
    const registry = new MonitorRegistry();
    const a = new FakeSource({ enabled: 1000, running: 30, queued: 5 });
    const b = new FakeSource({ enabled: 24, running: 2, queued: 0 });
    // 100 lags: 1..99 ms and one of 2 s; a's and b's are merged.
    for (let i = 1; i <= 99; i++) (i % 2 ? a : b).lag.add(i);
    a.lag.add(2000);
    const unregisterA = registry.register(a);
    registry.register(b);
    const m = readSamples(renderRuntimeMetrics(registry, loop));
    assert.ok(Math.abs((m.get('streampulse_schedule_lag_seconds{quantile="0.5"}') ?? NaN) - 0.05) <= 0.0006);
    assert.ok(Math.abs((m.get('streampulse_schedule_lag_seconds{quantile="0.99"}') ?? NaN) - 0.099) <= 0.0011);
    assert.equal(m.get('streampulse_schedule_lag_max_seconds'), 2);
    assert.equal(m.get('streampulse_schedule_lag_seconds_count'), 100);
    assert.ok(Math.abs((m.get('streampulse_schedule_lag_seconds_sum') ?? NaN) - (4950 + 2000) / 1000) < 1e-9);
    assert.equal(m.get('streampulse_probes_in_flight'), 32);
    assert.equal(m.get('streampulse_probes_queued'), 5);
    assert.equal(m.get('streampulse_scheduled_streams'), 1024);

    // A monitor that closes leaves the window and the gauges, not the summary's _count and _sum.
    unregisterA();
    const later = readSamples(renderRuntimeMetrics(registry, loop));
    assert.equal(later.get('streampulse_probes_in_flight'), 2);
    assert.equal(later.get('streampulse_scheduled_streams'), 24);
    assert.equal(later.get('streampulse_schedule_lag_seconds_count'), 100);
    assert.equal(later.get('streampulse_schedule_lag_max_seconds'), 0.098);
  });

  it('has no lag quantiles (but a zero count) before the first probe', () => {
    const m = readSamples(renderRuntimeMetrics(new MonitorRegistry(), loop));
    assert.equal(m.has('streampulse_schedule_lag_seconds{quantile="0.99"}'), false);
    assert.equal(m.has('streampulse_schedule_lag_max_seconds'), false);
    assert.equal(m.get('streampulse_schedule_lag_seconds_count'), 0);
  });

  it('sees a blocked event loop in the delay p99 and max, and keeps them through a slot rotation', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100)); // a few calm samples first
    busy(250);
    await new Promise((resolve) => setTimeout(resolve, 60)); // the delayed timer fires and records
    let m = readSamples(renderRuntimeMetrics(new MonitorRegistry(), loop));
    const max = m.get('streampulse_event_loop_delay_max_seconds') ?? 0;
    assert.ok(max >= 0.2 && max < 5, `max ${max}`);
    assert.ok((m.get('streampulse_event_loop_delay_seconds{quantile="0.99"}') ?? 0) >= 0.2);
    assert.ok((m.get('streampulse_event_loop_delay_seconds_count') ?? 0) >= 3);
    loop.rotate();
    m = readSamples(renderRuntimeMetrics(new MonitorRegistry(), loop));
    assert.equal(m.get('streampulse_event_loop_delay_max_seconds'), max, 'the closed slot still counts');
  });

  it('drops event-loop slots older than the window', () => {
    const short = new EventLoopDelayWindow(2, 60_000);
    try {
      busy(120);
      short.rotate(); // nothing recorded yet (the timer has not run): empty slots are not kept
      assert.equal(short.snapshot().max, undefined);
      short.rotate();
      short.rotate();
      assert.equal(short.snapshot().max, undefined);
    } finally {
      short.stop();
    }
  });

  it('reports process CPU, RSS, open handles and descriptors that follow what the process does', async () => {
    const before = readSamples(renderRuntimeMetrics(new MonitorRegistry(), loop));
    burnCpu(200);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let during: Map<string, number>;
    try {
      during = readSamples(renderRuntimeMetrics(new MonitorRegistry(), loop));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const cpu = (during.get('process_cpu_seconds_total') ?? 0) - (before.get('process_cpu_seconds_total') ?? 0);
    assert.ok(cpu >= 0.2 && cpu < 5, `cpu ${cpu}`);
    assert.equal((during.get('process_open_handles') ?? 0) - (before.get('process_open_handles') ?? 0), 1, 'the listening socket');
    if (process.platform === 'linux') assert.equal((during.get('process_open_fds') ?? 0) - (before.get('process_open_fds') ?? 0), 1);
    const rss = during.get('process_resident_memory_bytes') ?? 0;
    assert.ok(Math.abs(rss - process.memoryUsage.rss()) < 64 * 1024 * 1024, `rss ${rss}`);
    const start = during.get('process_start_time_seconds') ?? 0;
    assert.ok(Math.abs(start - (Date.now() - process.uptime() * 1000) / 1000) < 2, `start ${start}`);
    const used = during.get('nodejs_heap_size_used_bytes') ?? 0;
    assert.ok(used > 0);
    assert.ok((during.get('nodejs_heap_size_total_bytes') ?? 0) >= used, 'the heap V8 reserved holds the heap in use');
  });

  it('writes a summary with quantiles, _sum and _count', () => {
    assert.equal(
      summaryFamily('x_seconds', 'Help', [[0.5, 1], [0.99, undefined]], 3, 4),
      '# HELP x_seconds Help\n# TYPE x_seconds summary\nx_seconds{quantile="0.5"} 1\nx_seconds_sum 3\nx_seconds_count 4\n',
    );
  });
});
