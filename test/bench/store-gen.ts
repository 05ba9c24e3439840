/**
 * The store benchmark's history generator. A few template streams, one per camera profile, live
 * through D simulated days at a 15 s interval through the real code: probe results → the real
 * HealthTracker (states, outages) → the real BatchedWriter (rows, stream upserts, outages, health
 * snapshot) → the real rollUpAll (minute, hour and day roll-ups with their sketch BLOBs). Every
 * row the size measurement counts is therefore a row StreamPulse itself wrote; store-fleet.ts
 * then copies these rows to many streams with SQL.
 *
 * Levels kept longer than D days (hour 180 d, day and outages 5 y) are extended backwards by
 * repeating the D real days: copies of real rows shifted by whole multiples of D days (so hours
 * and days keep their place in the day). A camera that behaves the same way every month is
 * exactly what a steady-state size asks about.
 */
import { HealthTracker } from '../../nodes/lib/health/tracker.js';
import type { Heartbeat, ProbeCode, ProbeResult } from '../../nodes/lib/heartbeat.js';
import type { Db } from '../../nodes/lib/store/db.js';
import { rollUpAll } from '../../nodes/lib/store/rollup.js';
import type { RollupResult } from '../../nodes/lib/store/rollup.js';
import { BatchedWriter, openStore } from '../../nodes/lib/store/writer.js';

export const DAY_MS = 86_400_000;
export const INTERVAL_MS = 15_000;

export interface Profile {
  name: string;
  /** Share of the simulated fleet (the shares add up to 1). */
  share: number;
  /** Good probes: log-normal latency with this median (ms) and spread (sigma of ln). */
  medianMs: number;
  sigma: number;
  /** Isolated lost probes (one failure is debounced, two in a row are a 15 s outage). */
  lostProbeRate: number;
  /** Mean outages per day, their length in minutes, and optionally the UTC hours they fall in. */
  outagesPerDay: number;
  outageMinutes: [number, number];
  outageHours?: [number, number];
  outageCode: ProbeCode;
  outageMessage: string;
  /** Mean episodes per day of `no_frame` (the camera answers, video does not come): degraded. */
  degradedPerDay: number;
  degradedMinutes: [number, number];
}

/** The fleet the size figure is for: mostly healthy wired cameras, some nightly reboots, a few bad ones. */
export const PROFILES: readonly Profile[] = [
  {
    name: 'steady', share: 0.6, medianMs: 180, sigma: 0.25, lostProbeRate: 0.002,
    outagesPerDay: 0.3, outageMinutes: [1, 5], outageCode: 'timeout',
    outageMessage: '192.168.10.%: no connection within 5000 ms', degradedPerDay: 0.05, degradedMinutes: [1, 3],
  },
  {
    name: 'nightly', share: 0.25, medianMs: 240, sigma: 0.3, lostProbeRate: 0.005,
    outagesPerDay: 1, outageMinutes: [10, 30], outageHours: [1, 5], outageCode: 'refused',
    outageMessage: 'connection refused by 192.168.10.%:554', degradedPerDay: 0.2, degradedMinutes: [2, 5],
  },
  {
    name: 'flaky', share: 0.1, medianMs: 420, sigma: 0.6, lostProbeRate: 0.03,
    outagesPerDay: 8, outageMinutes: [1, 3], outageCode: 'timeout',
    outageMessage: '192.168.10.%:554 accepted the connection but sent no response headers within 5000 ms',
    degradedPerDay: 2, degradedMinutes: [2, 10],
  },
  {
    name: 'dead', share: 0.05, medianMs: 300, sigma: 0.3, lostProbeRate: 0.01,
    outagesPerDay: 0.1, outageMinutes: [360, 4320], outageCode: 'unreachable',
    outageMessage: 'connect EHOSTUNREACH 192.168.10.%:554', degradedPerDay: 0, degradedMinutes: [1, 1],
  },
];

export const templateId = (profile: Profile): string => `tpl-${profile.name}`;

/** mulberry32: a small seeded PRNG, so every run simulates the same fleet. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Span = [number, number];

/** Non-overlapping [start, end) episodes in [from, to): exponential gaps, or daily in an hour window. */
function episodes(rand: () => number, from: number, to: number, perDay: number, minutes: [number, number], hours?: [number, number]): Span[] {
  if (perDay <= 0) return [];
  const length = (): number => (minutes[0] + rand() * (minutes[1] - minutes[0])) * 60_000;
  const out: Span[] = [];
  if (hours) {
    for (let day = from; day < to; day += DAY_MS) {
      if (rand() >= perDay) continue;
      const start = day + (hours[0] + rand() * (hours[1] - hours[0])) * 3_600_000;
      out.push([start, Math.min(start + length(), to)]);
    }
    return out;
  }
  for (let t = from + (-Math.log(1 - rand()) * DAY_MS) / perDay; t < to; ) {
    const end = Math.min(t + length(), to);
    out.push([t, end]);
    t = end + (-Math.log(1 - rand()) * DAY_MS) / perDay;
  }
  return out;
}

/** Walks sorted spans along increasing time. */
function cursor(spans: readonly Span[]): (ts: number) => boolean {
  let i = 0;
  return (ts) => {
    while (i < spans.length && (spans[i]?.[1] ?? 0) <= ts) i++;
    const span = spans[i];
    return span !== undefined && span[0] <= ts;
  };
}

/** One template stream: yields its probe results in time order. */
class TemplateStream {
  readonly id: string;
  readonly tracker: HealthTracker;
  private readonly rand: () => number;
  private readonly inOutage: (ts: number) => boolean;
  private readonly inDegraded: (ts: number) => boolean;
  private readonly host: string;

  constructor(readonly profile: Profile, index: number, from: number, to: number) {
    this.id = templateId(profile);
    this.host = `192.168.10.${20 + index}`;
    this.rand = rng(0x5eed + index * 7919);
    this.tracker = new HealthTracker(this.id, { now: () => from });
    this.inOutage = cursor(episodes(this.rand, from, to, profile.outagesPerDay, profile.outageMinutes, profile.outageHours));
    this.inDegraded = cursor(episodes(this.rand, from, to, profile.degradedPerDay, profile.degradedMinutes));
  }

  probe(ts: number): ProbeResult {
    const p = this.profile;
    const stream = { id: this.id, name: `Camera ${p.name}`, url: `rtsp://${this.host}:554/Streaming/Channels/101`, protocol: 'rtsp' as const };
    const base = { stream, ts: new Date(ts).toISOString(), timings: { connectMs: 2 + Math.round(this.rand() * 8) } };
    const fail = (code: ProbeCode, message: string, latencyMs: number): ProbeResult =>
      ({ ...base, ok: false, code, message: message.replace('%', this.host.split('.')[3] ?? ''), latencyMs });
    if (this.inOutage(ts)) return fail(p.outageCode, p.outageMessage, p.outageCode === 'refused' ? 2 : 5000 + Math.round(this.rand() * 20));
    if (this.inDegraded(ts)) return fail('no_frame', `${this.host}:554 played but sent no video RTP within 5000 ms`, 5100);
    if (this.rand() < p.lostProbeRate) return fail('timeout', `${this.host}: no connection within 5000 ms`, 5000);
    // Box-Muller: a log-normal latency around the profile's median.
    const normal = Math.sqrt(-2 * Math.log(1 - this.rand())) * Math.cos(2 * Math.PI * this.rand());
    const latencyMs = Math.min(15_000, Math.max(15, Math.round(p.medianMs * Math.exp(p.sigma * normal))));
    return {
      ...base,
      ok: true,
      code: 'ok',
      message: 'first video packet (h264)',
      latencyMs,
      timings: { ...base.timings, firstResponseMs: Math.round(latencyMs * 0.2), firstFrameMs: latencyMs },
      media: { codec: 'h264', width: 1920, height: 1080, fps: 25, bitrateKbps: 4096 + Math.round(this.rand() * 512) },
    };
  }
}

export interface TemplateHistory {
  file: string;
  startMs: number;
  endMs: number;
  heartbeats: number;
  outages: number;
  rollups: RollupResult[];
  simulateMs: number;
  rollupMs: number;
}

/**
 * Writes `days` days of every profile's template stream ending at `endMs` (a UTC midnight)
 * into `file` through the real writer, then rolls everything up.
 */
export async function simulateTemplates(file: string, profiles: readonly Profile[], days: number, endMs: number): Promise<TemplateHistory> {
  const startMs = endMs - days * DAY_MS;
  const streams = profiles.map((p, i) => new TemplateStream(p, i, startMs, endMs));
  const writer = BatchedWriter.forFile(file, { flushMs: 3_600_000, maxRows: Number.MAX_SAFE_INTEGER, maxQueue: 1_000_000 });
  let heartbeats = 0;
  let outages = 0;
  const t0 = performance.now();
  try {
    for (let ts = startMs; ts < endMs; ts += INTERVAL_MS) {
      streams.forEach((s, i) => {
        // Each stream probes at its own phase within the interval, as the jittered scheduler does.
        const result = s.probe(ts + Math.floor((i * INTERVAL_MS) / streams.length));
        const update = s.tracker.update(result);
        const heartbeat: Heartbeat = { ...result, health: update.health };
        writer.enqueue(heartbeat);
        heartbeats++;
        // What the store service does: an outage row opens when the stream goes offline and is
        // completed by the Outage record the tracker hands over when it ends.
        if (update.outage) writer.enqueueOutage(update.outage);
        if (update.stateChanged && update.health.state === 'offline') {
          outages++;
          writer.enqueueOutage({ streamId: s.id, start: update.health.since, code: result.code, message: result.message });
        }
      });
      if (writer.stats().queued >= 20_000 && !(await writer.flush())) throw new Error(`template write failed: ${writer.stats().lastError?.message ?? '?'}`);
    }
    for (const s of streams) writer.saveHealth(s.tracker.snapshot());
    if (!(await writer.flush())) throw new Error(`template write failed: ${writer.stats().lastError?.message ?? '?'}`);
  } finally {
    await writer.close();
  }
  const simulateMs = performance.now() - t0;
  const db = await openStore(file);
  try {
    const t1 = performance.now();
    const rollups = await rollUpAll(db, endMs);
    return { file, startMs, endMs, heartbeats, outages, rollups, simulateMs, rollupMs: performance.now() - t1 };
  } finally {
    await db.close();
  }
}

/** (stream, time)-keyed tables and their time column, as in schema.ts. */
export const LEVEL_TABLES = [
  { level: 'raw', table: 'heartbeats', time: 'ts' },
  { level: 'minute', table: 'rollup_minute', time: 'bucket' },
  { level: 'hour', table: 'rollup_hour', time: 'bucket' },
  { level: 'day', table: 'rollup_day', time: 'bucket' },
] as const;

export async function columnsOf(db: Db, table: string, schema = 'main'): Promise<string[]> {
  return (await db.all<{ name: string }>('SELECT name FROM pragma_table_info(?, ?)', [table, schema])).map((c) => c.name);
}

/** How far back each level must reach: the longest retention any evaluated policy keeps. */
export type Reach = Record<(typeof LEVEL_TABLES)[number]['level'] | 'outages', number>;

/**
 * Extends each level back by `reach` before `endMs` by copying the real window
 * [startMs, endMs) to [startMs − k·cycle, endMs − k·cycle), k = 1, 2, …, dropping what falls
 * beyond the reach. Outages are copied with both ends shifted (only those that ended inside
 * the window). Returns the rows added.
 */
export async function extendBackwards(file: string, history: TemplateHistory, reach: Reach): Promise<number> {
  const { startMs, endMs } = history;
  const cycle = endMs - startMs;
  const copiesFor = (ms: number): number => Math.max(0, Math.ceil((ms - cycle) / cycle));
  let added = 0;
  const db = await openStore(file);
  try {
    await db.transaction(async () => {
      for (const { level, table, time } of LEVEL_TABLES) {
        const columns = await columnsOf(db, table);
        const select = columns.map((c) => (c === time ? `${c} - ?1` : c)).join(', ');
        const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${select} FROM ${table}
          WHERE ${time} >= ?2 AND ${time} - ?1 >= ?3`;
        for (let k = 1; k <= copiesFor(reach[level]); k++) added += (await db.run(sql, [k * cycle, startMs, endMs - reach[level]])).changes;
      }
      const sql = `INSERT INTO outages (stream_id, start_ts, end_ts, duration_ms, code, message)
        SELECT stream_id, start_ts - ?1, end_ts - ?1, duration_ms, code, message FROM outages
        WHERE start_ts >= ?2 AND end_ts IS NOT NULL AND end_ts < ?4 AND end_ts - ?1 >= ?3`;
      for (let k = 1; k <= copiesFor(reach.outages); k++) added += (await db.run(sql, [k * cycle, startMs, endMs - reach.outages, endMs])).changes;
    });
  } finally {
    await db.close();
  }
  return added;
}
