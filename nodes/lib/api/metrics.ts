import { HEALTH_STATES } from '../heartbeat.js';
import type { Db } from '../store/db.js';
import type { UptimeResult } from '../store/queries.js';
import { fleetUptimes } from './fleet-cache.js';
import { renderRuntimeMetrics } from './process-metrics.js';
import { PROMETHEUS_CONTENT_TYPE, escapeHelp, escapeLabelValue, formatValue, metricFamily } from './prometheus.js';
import type { MetricType } from './prometheus.js';
import { withCommonHeaders } from './respond.js';
import type { ApiContext, ApiResponse } from './types.js';

/** States that mean video arrives (degraded: slowly or frozen-suspect, but it flows). */
const UP_STATES: ReadonlySet<string> = new Set(['online', 'degraded']);

/** GET /metrics: per-stream health, store figures, and the probing process itself (process-metrics.ts). */
export async function metricsResponse(ctx: ApiContext): Promise<ApiResponse> {
  return { status: 200, headers: withCommonHeaders({ 'Content-Type': PROMETHEUS_CONTENT_TYPE }), body: await renderMetrics(ctx) };
}

/** What the per-stream series need of a stream; `latencyMs` of its newest heartbeat (null: none yet). */
interface StreamRow {
  id: string;
  name: string;
  state: string;
  lastSeen: number;
  latencyMs: number | null;
}

/**
 * One statement for every stream: the state columns, and the newest heartbeat's latency by one
 * seek of the (stream_id, ts) primary key per stream. Cheaper than reading whole state and
 * heartbeat rows (currentStates + latestHeartbeats) at every scrape of a 10,000-camera store.
 */
function streamRows(db: Db): Promise<StreamRow[]> {
  return db.all<StreamRow>(
    `SELECT s.id AS id, s.name AS name, s.state AS state, s.last_seen AS lastSeen,
       (SELECT h.latency_ms FROM heartbeats h WHERE h.stream_id = s.id ORDER BY h.ts DESC LIMIT 1) AS latencyMs
     FROM streams s ORDER BY s.id`,
  );
}

export async function renderMetrics(ctx: ApiContext): Promise<string> {
  const states = await streamRows(ctx.db);
  const uptimes = await fleetUptimes(ctx);
  const counters = ctx.counters();
  const storeBytes = await ctx.storeBytes();

  // At 10,000 cameras this page has ~100,000 per-stream lines, rendered on the event loop that
  // also times the probes: each stream's labels are escaped once per scrape, not once per line.
  const labels = new StreamLabels(states);
  const perStream = (name: string, type: MetricType, help: string, value: (s: StreamRow) => number | undefined): string =>
    family(name, type, help, (push) => {
      for (const s of states) {
        const v = value(s);
        if (v !== undefined) push(`${name}{${labels.of(s.id)}} ${formatValue(v)}`);
      }
    });
  const ratio = (r: UptimeResult | undefined): number | undefined =>
    r?.uptimePct === null || r === undefined ? undefined : r.uptimePct / 100;
  const counted = [...counters.streams.keys()].sort();

  const out = [
    perStream('streampulse_up', 'gauge', 'Whether video arrives (state online or degraded).', (s) => (UP_STATES.has(s.state) ? 1 : 0)),
    family('streampulse_stream_state', 'gauge', 'Current health state, one-hot over the states.', (push) => {
      for (const s of states) {
        const prefix = `streampulse_stream_state{${labels.of(s.id)},state="`;
        for (const state of HEALTH_STATES) push(`${prefix}${state}"} ${s.state === state ? 1 : 0}`);
      }
    }),
    perStream('streampulse_latency_seconds', 'gauge', 'Latency of the last probe (start to evidence or failure).',
      (s) => (s.latencyMs === null ? undefined : s.latencyMs / 1000)),
    family('streampulse_uptime_ratio', 'gauge', 'Time online / time observed over the window (from durations).', (push) => {
      // No series at all until the first fleet computation is done (see fleet-cache.ts).
      if (!uptimes) return;
      for (const s of states) {
        for (const [window, map] of [['24h', uptimes.day], ['7d', uptimes.week]] as const) {
          const value = ratio(map.get(s.id));
          if (value !== undefined) push(`streampulse_uptime_ratio{${labels.of(s.id)},window="${window}"} ${formatValue(value)}`);
        }
      }
    }),
    family('streampulse_probes_total', 'counter', 'Probes received by the store since Node-RED started.', (push) => {
      for (const id of counted) push(`streampulse_probes_total{${labels.of(id)}} ${formatValue(counters.streams.get(id)?.probes ?? 0)}`);
    }),
    family('streampulse_probe_failures_total', 'counter', 'Failed probes since Node-RED started, by failure code.', (push) => {
      for (const id of counted) {
        const failures = counters.streams.get(id)?.failures ?? {};
        for (const code of Object.keys(failures).sort()) {
          const value = failures[code as keyof typeof failures] ?? 0;
          push(`streampulse_probe_failures_total{${labels.of(id)},code="${escapeLabel(code)}"} ${formatValue(value)}`);
        }
      }
    }),
    perStream('streampulse_last_seen_timestamp_seconds', 'gauge', 'Unix time of the last stored heartbeat.', (s) => s.lastSeen / 1000),
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
    renderRuntimeMetrics(),
  ];
  return out.join('');
}

/** HELP, TYPE and the lines `body` pushes: metricFamily's output, for lines built by the caller. */
function family(name: string, type: MetricType, help: string, body: (push: (line: string) => void) => void): string {
  const lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];
  body((line) => lines.push(line));
  return lines.join('\n') + '\n';
}

const NEEDS_ESCAPE = /[\\"\n]/;

/** Most values need no escaping: testing is cheaper than three replaces. */
function escapeLabel(value: string): string {
  return NEEDS_ESCAPE.test(value) ? escapeLabelValue(value) : value;
}

/** `stream="…",name="…"` of each stream, escaped once. */
class StreamLabels {
  private readonly names: Map<string, string>;
  private readonly cache = new Map<string, string>();

  constructor(states: readonly { id: string; name: string }[]) {
    this.names = new Map(states.map((s) => [s.id, s.name]));
  }

  of(id: string): string {
    let text = this.cache.get(id);
    if (text === undefined) {
      // Streams probed since start but not yet written have counters and no row: name = id.
      text = `stream="${escapeLabel(id)}",name="${escapeLabel(this.names.get(id) ?? id)}"`;
      this.cache.set(id, text);
    }
    return text;
  }
}
