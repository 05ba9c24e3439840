import type { Db } from './db.js';

/**
 * How long each level is kept, in ms. Defaults, measured by `npm run bench:store` against the goal
 * of ≤ 1.5 MB per camera probed every 15 s: raw probes 24 h (per-probe detail for the last day),
 * minute roll-ups 7 d ("was it up last Tuesday night" to the minute), hour roll-ups 90 d, day
 * roll-ups 5 years, and the outage list (start, end, code) 1 year. About 1.25 MB per camera in a
 * packed file and 1.4 MB in a live one; 48 h of raw rows and 14 days of minutes came to 2.6 MB.
 */
export interface RetentionPolicy {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
  dayMs: number;
  outageMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = {
  rawMs: 24 * HOUR,
  minuteMs: 7 * DAY,
  hourMs: 90 * DAY,
  dayMs: 5 * 365 * DAY,
  outageMs: 365 * DAY,
};

export interface RetentionOptions {
  /** Rows per DELETE statement (default 5000): each is one short write transaction. */
  batchRows?: number;
}

export interface RetentionResult {
  heartbeats: number;
  minute: number;
  hour: number;
  day: number;
  outages: number;
  /** DELETE statements run. */
  batches: number;
}

/** (stream, time)-keyed tables, names are constants of this module. */
const KEYED = [
  { key: 'heartbeats', table: 'heartbeats', time: 'ts', keep: 'rawMs' },
  { key: 'minute', table: 'rollup_minute', time: 'bucket', keep: 'minuteMs' },
  { key: 'hour', table: 'rollup_hour', time: 'bucket', keep: 'hourMs' },
  { key: 'day', table: 'rollup_day', time: 'bucket', keep: 'dayMs' },
] as const;

/**
 * Deletes rows older than the policy allows, in batches of `batchRows`, yielding to the event loop
 * between batches so probes and the writer (which waits at most busy_timeout for the lock) go on.
 * Keyed tables are walked one stream at a time so every batch is a range seek on the
 * (stream_id, time) primary key, never a scan of the whole table. Open outages are never deleted.
 * Run it on its own connection, like the roll-ups. Freed pages are reused by later inserts, so
 * the file stops growing rather than shrinking.
 */
export async function applyRetention(
  db: Db,
  policy: RetentionPolicy = DEFAULT_RETENTION,
  nowMs: number = Date.now(),
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? 5000));
  const result: RetentionResult = { heartbeats: 0, minute: 0, hour: 0, day: 0, outages: 0, batches: 0 };
  for (const { key, table, time, keep } of KEYED) {
    const cutoff = nowMs - policy[keep];
    const deleteSql = `DELETE FROM ${table} WHERE stream_id = ?1 AND ${time} IN
      (SELECT ${time} FROM ${table} WHERE stream_id = ?1 AND ${time} < ?2 ORDER BY ${time} LIMIT ?3)`;
    // Distinct stream ids by successive index seeks: also finds streams no longer in `streams`.
    const nextSql = `SELECT MIN(stream_id) AS id FROM ${table} WHERE stream_id > ?`;
    let stream = (await db.get<{ id: string | null }>(`SELECT MIN(stream_id) AS id FROM ${table}`))?.id ?? null;
    while (stream !== null) {
      for (;;) {
        const { changes } = await db.run(deleteSql, [stream, cutoff, batchRows]);
        result[key] += changes;
        result.batches++;
        await yieldToEventLoop();
        if (changes < batchRows) break;
      }
      stream = (await db.get<{ id: string | null }>(nextSql, [stream]))?.id ?? null;
    }
  }
  const outageCutoff = nowMs - policy.outageMs;
  for (;;) {
    // start_ts < cutoff lets the outages_by_start index narrow the search; end_ts decides.
    const { changes } = await db.run(
      `DELETE FROM outages WHERE id IN (SELECT id FROM outages
         WHERE start_ts < ?1 AND end_ts IS NOT NULL AND end_ts < ?1 LIMIT ?2)`,
      [outageCutoff, batchRows],
    );
    result.outages += changes;
    result.batches++;
    await yieldToEventLoop();
    if (changes < batchRows) break;
  }
  return result;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
