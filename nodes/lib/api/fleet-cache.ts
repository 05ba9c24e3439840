import { performance } from 'node:perf_hooks';
import type { Db } from '../store/db.js';
import { uptimeOfAll } from '../store/fleet.js';
import { rolledUptimeOfAll } from '../store/fleet-rolled.js';
import type { UptimeResult } from '../store/queries.js';
import { DAY_MS } from './params.js';
import type { ApiContext } from './types.js';

/** 24 h and 7 d uptime of every stream, as of `computedAt`. */
export interface FleetUptimes {
  computedAt: number;
  day: Map<string, UptimeResult>;
  week: Map<string, UptimeResult>;
}

export const DEFAULT_UPTIME_MAX_AGE_MS = 30_000;
export const DEFAULT_UPTIME_WAIT_MS = 2_000;
/** A value stays fresh for at least this many times its computation took (bounds the CPU share). */
const COST_FACTOR = 5;
/** A stale value is served while a refresh runs, up to this many max-ages old. */
const STALE_LIMIT = 10;

interface Entry {
  value?: FleetUptimes;
  pending?: Promise<FleetUptimes>;
  /** Wall time the last computation took, ms. */
  costMs: number;
}

// One cache per read connection; a closed and dropped connection takes its entry with it.
const entries = new WeakMap<Db, Entry>();

/**
 * The fleet uptimes for /api/streams and /metrics, or undefined while the first computation runs.
 *
 * They read every raw heartbeat of the last 24 h and 48 h of every stream: ~2 µs a row, so about
 * 40 s at 1,000 cameras every 15 s, while a dashboard polls every few seconds and Prometheus
 * every 15–60 s, and a 24 h uptime barely moves in that time. So: one computation at a time
 * (concurrent requests share it); a result is reused for `uptimeMaxAgeMs`, or for 5 × its cost
 * if that is longer (the refresh never takes more than ~20 % of a core); a stale result is served
 * while a fresh one is computed in the background; and a request waits at most `uptimeWaitMs` for
 * a first result, so a page or a scrape is never held for minutes (uptimes then come back null
 * and fill in on a later request). `uptimeMaxAgeMs: 0` computes for every request and waits.
 */
export async function fleetUptimes(ctx: ApiContext): Promise<FleetUptimes | undefined> {
  const maxAgeSetting = ctx.uptimeMaxAgeMs ?? DEFAULT_UPTIME_MAX_AGE_MS;
  const now = ctx.now();
  if (maxAgeSetting <= 0) return compute(ctx.db, now, ctx.rolledUpTo?.());
  let entry = entries.get(ctx.db);
  if (!entry) entries.set(ctx.db, (entry = { costMs: 0 }));
  const maxAge = Math.max(maxAgeSetting, COST_FACTOR * entry.costMs);
  const value = entry.value;
  const age = value ? now - value.computedAt : Infinity;
  if (value && age >= 0 && age < maxAge) return value;
  const pending = entry.pending ?? refresh(entry, ctx.db, now, ctx.rolledUpTo?.());
  if (value && age >= 0 && age < maxAge * STALE_LIMIT) {
    // The failure of a background refresh is not this request's: the next request retries.
    pending.catch(() => undefined);
    return value;
  }
  return within(pending, ctx.uptimeWaitMs ?? DEFAULT_UPTIME_WAIT_MS);
}

function refresh(entry: Entry, db: Db, now: number, rolledUpTo: number | undefined): Promise<FleetUptimes> {
  const started = performance.now();
  const pending = compute(db, now, rolledUpTo).then((value) => {
    entry.value = value;
    entry.costMs = performance.now() - started;
    return value;
  });
  entry.pending = pending;
  const clear = (): void => {
    if (entry.pending === pending) entry.pending = undefined;
  };
  pending.then(clear, clear);
  return pending;
}

/** The value if it settles within `waitMs`, else undefined (the work goes on); errors propagate. */
async function within<T>(work: Promise<T>, waitMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, waitMs));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * From the roll-ups when the caller knows how far the roll-up job got (the store node does: a
 * few rows per camera, see fleet-rolled.ts), else exactly from every raw heartbeat.
 */
async function compute(db: Db, now: number, rolledUpTo: number | undefined): Promise<FleetUptimes> {
  const window = (from: number): Promise<Map<string, UptimeResult>> =>
    rolledUpTo === undefined ? uptimeOfAll(db, from, now) : rolledUptimeOfAll(db, from, now, rolledUpTo);
  const day = await window(now - DAY_MS);
  const week = await window(now - 7 * DAY_MS);
  return { computedAt: now, day, week };
}
