/**
 * Part 3 of the store benchmark: read-side query times on the N-stream file, each with the
 * longest event-loop block it caused (the store node answers HTTP and computes `msg.uptime` on
 * Node-RED's one event loop).
 */
import { Db } from '../../nodes/lib/store/db.js';
import { currentStates, latencyPercentiles, outagesBetween, uptime } from '../../nodes/lib/store/queries.js';
import type { UptimeResult } from '../../nodes/lib/store/queries.js';
import { DAY_MS } from './store-gen.js';
import { percentile, round, watchLoop } from './store-loop.js';
import type { LoopBlock } from './store-loop.js';

export interface QueryRow {
  name: string;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  totalMs: number;
  block: LoopBlock;
}

export interface QueryTimes {
  rows: QueryRow[];
  notes: string[];
}

/** Runs `call(i)` for i < runs one after another; per-call times and the whole loop's block. */
async function timed(name: string, runs: number, call: (i: number) => Promise<unknown>): Promise<QueryRow> {
  const times: number[] = [];
  const t0 = performance.now();
  const { block } = await watchLoop(async () => {
    for (let i = 0; i < runs; i++) {
      const c0 = performance.now();
      await call(i);
      times.push(performance.now() - c0);
    }
  });
  return {
    name, runs,
    p50Ms: round(percentile(times, 0.5), 1),
    p95Ms: round(percentile(times, 0.95), 1),
    maxMs: round(Math.max(...times), 1),
    totalMs: round(performance.now() - t0, 1),
    block,
  };
}

type UptimeOfAll = (db: Db, fromMs: number, toMs: number) => Promise<unknown>;

/**
 * HOOK: nodes/lib/store/fleet.ts (another engineer's, `uptimeOfAll(db, fromMs, toMs)`) is timed
 * when it exists. A computed specifier keeps the build working while it does not.
 */
async function loadUptimeOfAll(): Promise<UptimeOfAll | undefined> {
  const specifier: string = '../../nodes/lib/store/fleet.js';
  try {
    const mod: unknown = await import(specifier);
    if (typeof mod === 'object' && mod !== null && 'uptimeOfAll' in mod && typeof mod.uptimeOfAll === 'function') {
      const fn = mod.uptimeOfAll as UptimeOfAll;
      return fn;
    }
  } catch {
    // not written yet
  }
  return undefined;
}

export interface QueryPlan {
  /** Streams the uptime() loop runs over. */
  uptimeIds: readonly string[];
  /** Streams latencyPercentiles() runs on. */
  latencyIds: readonly string[];
  /** Calls of fleet.ts uptimeOfAll() (each covers every stream). */
  uptimeOfAllRuns: number;
}

export async function timeQueries(file: string, ids: readonly string[], endMs: number, plan: QueryPlan): Promise<QueryTimes> {
  const rows: QueryRow[] = [];
  const notes: string[] = [];
  const from = endMs - 30 * DAY_MS;
  const db = await Db.open(file);
  try {
    rows.push(await timed('currentStates (all streams)', 5, () => currentStates(db)));

    const perStream = new Map<string, UptimeResult>();
    const looped = plan.uptimeIds;
    const loop = await timed(`uptime(id, 30 d), ${looped.length} of ${ids.length} streams`, looped.length, async (i) => {
      const id = looped[i] ?? '';
      perStream.set(id, await uptime(db, id, from, endMs));
    });
    rows.push(loop);
    const allS = ((loop.totalMs / looped.length) * ids.length) / 1000;
    notes.push(`30-day uptime of all ${ids.length} streams by looping uptime(): ${allS.toFixed(1)} s` +
      (looped.length < ids.length ? ` (extrapolated from ${looped.length} streams in the fleet's mix; --uptime-sample 0 loops over all)` : ' (measured)'));
    let online = 0;
    let observed = 0;
    for (const u of perStream.values()) {
      online += u.onlineMs;
      observed += u.observedMs;
    }
    notes.push(`30-day uptime of those streams ${round((100 * online) / Math.max(1, observed), 3)} % over ${round(observed / looped.length / DAY_MS, 2)} observed days per stream`);

    const uptimeOfAll = await loadUptimeOfAll();
    if (uptimeOfAll) {
      let result: unknown;
      rows.push(await timed('uptimeOfAll(30 d) [fleet.ts]', plan.uptimeOfAllRuns, async () => {
        result = await uptimeOfAll(db, from, endMs);
      }));
      notes.push(compareWithLoop(result, perStream));
    } else {
      notes.push('HOOK: nodes/lib/store/fleet.ts uptimeOfAll() does not exist yet: not timed (store-queries.ts loads it when present)');
    }

    const sample = plan.latencyIds;
    let example = '';
    rows.push(await timed('latencyPercentiles(id, 30 d)', sample.length, async (i) => {
      const r = await latencyPercentiles(db, sample[i] ?? '', from, endMs);
      if (i === 0) example = `${sample[0] ?? ''}: ${r.count} ok probes, p50 ${r.p50?.toFixed(0) ?? '-'} ms, p95 ${r.p95?.toFixed(0) ?? '-'} ms`;
    }));
    notes.push(`latency over 30 days, e.g. ${example}`);
    rows.push(await timed('outagesBetween(all, 30 d, limit 1000)', 3, () => outagesBetween(db, undefined, from, endMs)));
    return { rows, notes };
  } finally {
    await db.close();
  }
}

/** uptimeOfAll's answer against the loop's, stream by stream (it should agree to rounding). */
function compareWithLoop(result: unknown, perStream: ReadonlyMap<string, UptimeResult>): string {
  if (!(result instanceof Map)) return 'uptimeOfAll returned something other than a Map: not compared';
  let differ = 0;
  for (const [id, loop] of perStream) {
    const value: unknown = result.get(id);
    const pct = typeof value === 'object' && value !== null && 'uptimePct' in value ? value.uptimePct : undefined;
    if (typeof pct !== 'number' || loop.uptimePct === null || Math.abs(pct - loop.uptimePct) > 1e-6) differ++;
  }
  return `uptimeOfAll vs the uptime() loop: ${differ === 0 ? 'same uptime for every stream' : `${differ} of ${perStream.size} streams differ`}`;
}
