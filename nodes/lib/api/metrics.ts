import { HEALTH_STATES } from '../heartbeat.js';
import { latestHeartbeats } from '../store/fleet.js';
import { currentStates } from '../store/queries.js';
import type { StreamState, UptimeResult } from '../store/queries.js';
import { fleetUptimes } from './fleet-cache.js';
import { PROMETHEUS_CONTENT_TYPE, metricFamily } from './prometheus.js';
import type { Sample } from './prometheus.js';
import { withCommonHeaders } from './respond.js';
import type { ApiContext, ApiResponse } from './types.js';

/** States that mean video arrives (degraded: slowly or frozen-suspect, but it flows). */
const UP_STATES: ReadonlySet<string> = new Set(['online', 'degraded']);

/** GET /metrics: per-stream health and store figures for Prometheus. */
export async function metricsResponse(ctx: ApiContext): Promise<ApiResponse> {
  return { status: 200, headers: withCommonHeaders({ 'Content-Type': PROMETHEUS_CONTENT_TYPE }), body: await renderMetrics(ctx) };
}

export async function renderMetrics(ctx: ApiContext): Promise<string> {
  const states = await currentStates(ctx.db);
  const latest = await latestHeartbeats(ctx.db);
  const uptimes = await fleetUptimes(ctx);
  const counters = ctx.counters();
  const storeBytes = await ctx.storeBytes();

  const names = new Map(states.map((s) => [s.id, s.name]));
  // Streams probed since start but not yet written have counters and no row: name = id.
  const labels = (id: string): Record<string, string> => ({ stream: id, name: names.get(id) ?? id });
  const perStream = function* (value: (s: StreamState) => number | undefined): Generator<Sample> {
    for (const s of states) {
      const v = value(s);
      if (v !== undefined) yield { labels: labels(s.id), value: v };
    }
  };
  const ratio = (r: UptimeResult | undefined): number | undefined =>
    r?.uptimePct === null || r === undefined ? undefined : r.uptimePct / 100;
  const counted = [...counters.streams.keys()].sort();

  const out = [
    metricFamily('streampulse_up', 'gauge', 'Whether video arrives (state online or degraded).',
      perStream((s) => (UP_STATES.has(s.state) ? 1 : 0))),
    metricFamily('streampulse_stream_state', 'gauge', 'Current health state, one-hot over the states.',
      (function* () {
        for (const s of states) for (const state of HEALTH_STATES) yield { labels: { ...labels(s.id), state }, value: s.state === state ? 1 : 0 };
      })()),
    metricFamily('streampulse_latency_seconds', 'gauge', 'Latency of the last probe (start to evidence or failure).',
      perStream((s) => { const hb = latest.get(s.id); return hb ? hb.latencyMs / 1000 : undefined; })),
    metricFamily('streampulse_uptime_ratio', 'gauge', 'Time online / time observed over the window (from durations).',
      (function* () {
        for (const s of states) {
          // No series at all until the first fleet computation is done (see fleet-cache.ts).
          if (!uptimes) return;
          for (const [window, map] of [['24h', uptimes.day], ['7d', uptimes.week]] as const) {
            const value = ratio(map.get(s.id));
            if (value !== undefined) yield { labels: { ...labels(s.id), window }, value };
          }
        }
      })()),
    metricFamily('streampulse_probes_total', 'counter', 'Probes received by the store since Node-RED started.',
      counted.map((id) => ({ labels: labels(id), value: counters.streams.get(id)?.probes ?? 0 }))),
    metricFamily('streampulse_probe_failures_total', 'counter', 'Failed probes since Node-RED started, by failure code.',
      (function* () {
        for (const id of counted) {
          const failures = counters.streams.get(id)?.failures ?? {};
          for (const code of Object.keys(failures).sort()) {
            yield { labels: { ...labels(id), code }, value: failures[code as keyof typeof failures] ?? 0 };
          }
        }
      })()),
    metricFamily('streampulse_last_seen_timestamp_seconds', 'gauge', 'Unix time of the last stored heartbeat.',
      perStream((s) => s.lastSeen / 1000)),
    metricFamily('streampulse_streams', 'gauge', 'Streams by current health state.',
      HEALTH_STATES.map((state) => ({ labels: { state }, value: states.filter((s) => s.state === state).length }))),
    metricFamily('streampulse_store_bytes', 'gauge', 'Size of the SQLite database file plus its WAL.', [{ value: storeBytes }]),
    metricFamily('streampulse_store_rows_written_total', 'counter', 'Rows written by the batched writer since start.',
      [{ value: counters.writer.written }]),
    metricFamily('streampulse_store_queue_rows', 'gauge', 'Rows waiting in memory for the next flush.', [{ value: counters.writer.queued }]),
    metricFamily('streampulse_store_dropped_rows_total', 'counter', 'Rows dropped because the queue overflowed while the database failed.',
      [{ value: counters.writer.dropped }]),
    metricFamily('streampulse_store_failed_flushes_total', 'counter', 'Flushes that failed (the rows were kept and retried).',
      [{ value: counters.writer.failedFlushes }]),
  ];
  return out.join('');
}
