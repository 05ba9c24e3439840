import type { Db } from './db.js';
import { BUCKET_MS, HOLD_CAP_MS, ONLINE_STATE, ceilTo, floorTo } from './rollup.js';
import type { UptimeResult } from './queries.js';

/**
 * Fleet uptime from the roll-ups, for figures refreshed every minute at thousands of cameras
 * (`msg.uptime`, /api/streams, /metrics). The exact reading (fleet.ts `uptimeOfAll`) walks every
 * raw heartbeat in the window, ~2 µs a row: 10 s for 24 h of 1,000 cameras at 15 s. The roll-ups
 * hold the same durations already summed, so a window is tiled from whole hours, whole minutes
 * at its edges, and raw heartbeats only after `rolledUpTo` (where the roll-up job has not been
 * yet): ~30 hour rows + ≤ 120 minute rows + a minute of raw rows per camera.
 *
 * Differences from the exact reading: the window start is rounded up to the next minute edge, and
 * minute buckets older than the minute retention (an edge of a 30-day window) are missing, so
 * up to an hour at the far edge is not counted in either online or observed time.
 */
export async function rolledUptimeOfAll(
  db: Db, fromMs: number, toMs: number, rolledUpToMs: number,
): Promise<Map<string, UptimeResult>> {
  const out = new Map<string, UptimeResult>();
  if (!(toMs > fromMs)) return out;
  const rolled = Math.min(floorTo(rolledUpToMs, BUCKET_MS.minute), toMs);
  const start = ceilTo(fromMs, BUCKET_MS.minute);
  const hourFrom = ceilTo(start, BUCKET_MS.hour);
  const hourTo = floorTo(rolled, BUCKET_MS.hour);
  const parts: Promise<Row[]>[] = [];
  if (hourFrom < hourTo) {
    parts.push(sums(db, 'rollup_hour', hourFrom, hourTo));
    parts.push(sums(db, 'rollup_minute', start, hourFrom));
    parts.push(sums(db, 'rollup_minute', hourTo, rolled));
  } else if (start < rolled) parts.push(sums(db, 'rollup_minute', start, rolled));
  parts.push(rawTail(db, Math.max(rolled, fromMs), toMs));
  for (const rows of await Promise.all(parts)) {
    for (const r of rows) {
      const sum = out.get(r.id) ?? { uptimePct: null, onlineMs: 0, observedMs: 0, probes: 0, failures: 0 };
      sum.onlineMs += r.online;
      sum.observedMs += r.observed;
      sum.probes += r.probes;
      sum.failures += r.failures;
      out.set(r.id, sum);
    }
  }
  for (const sum of out.values()) sum.uptimePct = sum.observedMs > 0 ? (100 * sum.onlineMs) / sum.observedMs : null;
  return out;
}

interface Row {
  id: string;
  online: number;
  observed: number;
  probes: number;
  failures: number;
}

/** Streams per statement: each is a few primary-key range seeks, so a page stays a few ms. */
const PAGE = 500;

/** Pages over `streams` so no statement holds the connection long (see fleet.ts on why). */
async function paged(db: Db, sql: string, params: (after: string) => (string | number)[]): Promise<Row[]> {
  const out: Row[] = [];
  let after = '';
  let first = true;
  for (;;) {
    const rows = await db.all<Row>(sql.replace('%OP%', first ? '>=' : '>'), params(after));
    out.push(...rows.filter((r) => r.observed > 0 || r.probes > 0));
    if (rows.length < PAGE) return out;
    after = rows.at(-1)?.id ?? after;
    first = false;
  }
}

function sums(db: Db, table: 'rollup_minute' | 'rollup_hour', from: number, to: number): Promise<Row[]> {
  if (!(to > from)) return Promise.resolve([]);
  const sql = `SELECT s.id,
      COALESCE(SUM(r.online_ms), 0) AS online, COALESCE(SUM(r.observed_ms), 0) AS observed,
      COALESCE(SUM(r.probes), 0) AS probes, COALESCE(SUM(r.failures), 0) AS failures
    FROM (SELECT id FROM streams WHERE id %OP% ?1 ORDER BY id LIMIT ${PAGE}) s
    LEFT JOIN ${table} r ON r.stream_id = s.id AND r.bucket >= ?2 AND r.bucket < ?3
    GROUP BY s.id ORDER BY s.id`;
  return paged(db, sql, (after) => [after, from, to]);
}

/**
 * The part the roll-up job has not reached: a state holds until the next heartbeat (capped at
 * HOLD_CAP_MS), clipped to [from, to), as rollup.ts and queries.ts count it.
 */
function rawTail(db: Db, from: number, to: number): Promise<Row[]> {
  if (!(to > from)) return Promise.resolve([]);
  const sql = `WITH page AS (SELECT id FROM streams WHERE id %OP% ?1 ORDER BY id LIMIT ${PAGE}),
    spans AS (
      SELECT h.stream_id AS id, h.ts, h.ok, h.state,
             MAX(MIN(COALESCE(LEAD(h.ts) OVER (PARTITION BY h.stream_id ORDER BY h.ts), ?3), h.ts + ?4, ?3) - MAX(h.ts, ?2), 0) AS part
      FROM page JOIN heartbeats h ON h.stream_id = page.id AND h.ts >= ?2 - ?4 AND h.ts < ?3)
    SELECT page.id,
           COALESCE(SUM(sp.part), 0) AS observed,
           COALESCE(SUM(CASE WHEN sp.state = ?5 THEN sp.part ELSE 0 END), 0) AS online,
           COUNT(CASE WHEN sp.ts >= ?2 THEN 1 END) AS probes,
           COUNT(CASE WHEN sp.ts >= ?2 AND sp.ok = 0 THEN 1 END) AS failures
    FROM page LEFT JOIN spans sp ON sp.id = page.id
    GROUP BY page.id ORDER BY page.id`;
  return paged(db, sql, (after) => [after, from, to, HOLD_CAP_MS, ONLINE_STATE]);
}
