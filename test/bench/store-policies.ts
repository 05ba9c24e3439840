/**
 * The retention policies the store benchmark evaluates, and how their sizes are reported
 * against the goal of at most 1.5 MB per stream at a 15 s interval.
 */
import { DEFAULT_RETENTION } from '../../nodes/lib/store/retention.js';
import type { RetentionPolicy } from '../../nodes/lib/store/retention.js';
import type { FleetBuild, SizeReport } from './store-fleet.js';
import { DAY_MS } from './store-gen.js';
import { mb, round, table } from './store-loop.js';

/** The goal, in bytes (10^6, not MiB). */
export const GOAL_BYTES = 1.5e6;

const HOUR = 3_600_000;
const YEAR = 365 * DAY_MS;
const policy = (rawH: number, minuteD: number, hourD: number, dayY = 5, outageY = 5): RetentionPolicy => ({
  rawMs: rawH * HOUR, minuteMs: minuteD * DAY_MS, hourMs: hourD * DAY_MS, dayMs: dayY * YEAR, outageMs: outageY * YEAR,
});
/**
 * In order of preference, most useful history first; the first one within the goal is
 * recommended. The judgement behind the order: "was it up last Tuesday night" wants minute
 * roll-ups for at least 7 days; hourly history for half a year beats a longer outage list,
 * because day roll-ups keep 5 years of uptime anyway; raw per-probe rows matter for the
 * incident of the last day.
 */
export const CANDIDATES: readonly RetentionPolicy[] = [
  DEFAULT_RETENTION,
  policy(24, 14, 180),
  policy(48, 7, 180),
  policy(24, 7, 180),
  policy(24, 7, 180, 5, 2),
  policy(24, 7, 180, 5, 1),
  policy(48, 7, 90),
  policy(24, 7, 90),
  policy(24, 7, 90, 5, 2),
  policy(24, 3, 180),
];

export function describePolicy(p: RetentionPolicy): string {
  const span = (ms: number): string =>
    ms >= YEAR && ms % YEAR === 0 ? `${ms / YEAR}y` : ms > 2 * DAY_MS && ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${round(ms / HOUR, 1)}h`;
  return `raw ${span(p.rawMs)} / min ${span(p.minuteMs)} / hour ${span(p.hourMs)} / day ${span(p.dayMs)} / outages ${span(p.outageMs)}`;
}

export interface PolicySize {
  policy: string;
  streams: number;
  bytesPerStream: number;
  /** Bytes per stream of each table (with its indexes). */
  perTable: Record<string, number>;
  rowsPerStream: Record<string, number>;
  meetsGoal: boolean;
}

export function perStream(size: SizeReport, build: FleetBuild, streams: number, p: RetentionPolicy): PolicySize {
  const perTable: Record<string, number> = {};
  for (const [name, t] of Object.entries(size.tables)) perTable[name] = Math.round(t.bytes / streams);
  const rowsPerStream: Record<string, number> = {};
  for (const [name, n] of Object.entries(build.rows)) rowsPerStream[name] = round(n / streams, 1);
  const bytesPerStream = Math.round(size.fileBytes / streams);
  return { policy: describePolicy(p), streams, bytesPerStream, perTable, rowsPerStream, meetsGoal: bytesPerStream <= GOAL_BYTES };
}

export const SIZE_TABLES = ['heartbeats', 'rollup_minute', 'rollup_hour', 'rollup_day', 'outages', 'streams'] as const;

export function sizeTable(rows: readonly PolicySize[], label: (r: PolicySize) => string): string {
  return table(
    ['', 'streams', 'raw KB', 'minute KB', 'hour KB', 'day KB', 'outages KB', 'streams B', 'total MB/stream', 'goal'],
    rows.map((r) => [
      label(r), String(r.streams),
      ...SIZE_TABLES.slice(0, 5).map((t) => ((r.perTable[t] ?? 0) / 1000).toFixed(1)),
      String(r.perTable.streams ?? 0),
      mb(r.bytesPerStream).toFixed(3), r.meetsGoal ? 'ok' : 'OVER',
    ]),
  );
}
