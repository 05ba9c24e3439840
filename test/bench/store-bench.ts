/**
 * `npm run bench:store`: what the SQLite store costs.
 *
 *   node dist/test/bench/store-bench.js [--streams 1000] [--days 30] [--rows 200000]
 *                                        [--uptime-sample 100] [--quick] [--keep]
 *
 * 1. Insert rate through the real BatchedWriter (default batching) and the longest event-loop
 *    block while it writes.
 * 2. Bytes per stream at steady state for a 15 s interval under the default retention and under
 *    candidate policies, against the goal of ≤ 1.5 MB per stream. The history is D simulated days
 *    of real rows (store-gen.ts) copied to N streams with SQL (store-fleet.ts); levels kept longer
 *    than D days repeat those days, shifted by whole multiples of D.
 * 3. Query times on the N-stream database: current state of all, 30-day uptime of all, latency
 *    percentiles of one stream over 30 days.
 *
 * `--quick` (20 streams, 2 days, 20,000 rows, every fifth candidate policy, small query
 * samples) is a smoke run of well under 30 s on an idle machine. Databases live in a fresh
 * directory under os.tmpdir() and are deleted at the end (`--keep` keeps them). Prints tables
 * and writes bench-results/store.json. Not a test: it asserts nothing, it measures.
 */
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Db } from '../../nodes/lib/store/db.js';
import { DEFAULT_RETENTION } from '../../nodes/lib/store/retention.js';
import type { RetentionPolicy } from '../../nodes/lib/store/retention.js';
import { BatchedWriter } from '../../nodes/lib/store/writer.js';
import { heartbeat } from '../lib/store/fixtures/heartbeats.js';
import { buildFleet, measureSize, planFleet, sampleFleet } from './store-fleet.js';
import type { FleetBuild, SizeReport } from './store-fleet.js';
import { DAY_MS, INTERVAL_MS, PROFILES, extendBackwards, simulateTemplates } from './store-gen.js';
import type { Reach } from './store-gen.js';
import { mb, round, since, table, watchLoop } from './store-loop.js';
import type { LoopBlock } from './store-loop.js';
import { CANDIDATES, GOAL_BYTES, SIZE_TABLES, perStream, sizeTable } from './store-policies.js';
import type { PolicySize } from './store-policies.js';
import { timeQueries } from './store-queries.js';
import type { QueryTimes } from './store-queries.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string' },
    days: { type: 'string' },
    rows: { type: 'string' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'uptime-sample': { type: 'string' },
  },
});
const QUICK = values.quick;
const STREAMS = positiveInt(values.streams ?? (QUICK ? '20' : '1000'), '--streams');
const DAYS = positiveInt(values.days ?? (QUICK ? '2' : '30'), '--days');
const INSERT_ROWS = positiveInt(values.rows ?? (QUICK ? '20000' : '200000'), '--rows');
/**
 * Streams the uptime() loop is timed on (0 = all). Looping uptime() costs ~0.2 s per stream on
 * a 2-core machine, so the default times 100 streams in the fleet's mix and extrapolates.
 */
const UPTIME_SAMPLE = Number(values['uptime-sample'] ?? (QUICK ? '5' : '100'));
if (!Number.isInteger(UPTIME_SAMPLE) || UPTIME_SAMPLE < 0) throw new Error('--uptime-sample wants an integer ≥ 0');
/** Streams of the mixed fleet each candidate policy is measured on (bytes per stream do not depend on N). */
const CANDIDATE_STREAMS = 20;
const PROFILE_STREAMS = 4;

function positiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} wants a positive integer, got "${raw}"`);
  return n;
}

interface InsertResult {
  rows: number;
  streams: number;
  wallMs: number;
  rowsPerS: number;
  flushes: number;
  meanBatch: number;
  failedFlushes: number;
  cpuUsPerRow: number;
  block: LoopBlock;
  /** Longest synchronous slice of the benchmark's own producer (it blocks the loop too). */
  producerSliceMaxMs: number;
  /** Row bytes / page bytes of the heartbeats table as written live, and after VACUUM. */
  heartbeatsFill: { live: number; vacuumed: number };
}

/** Part 1: INSERT_ROWS heartbeats of `streams` cameras, in time order, through the default writer. */
async function insertBench(dir: string, streams: number): Promise<InsertResult> {
  const file = join(dir, 'insert.db');
  const writer = BatchedWriter.forFile(file);
  const SLICE = 100; // heartbeats per macrotask, as a monitor's probes would arrive
  const BACKLOG = 2000; // the producer waits while more are queued: we measure the writer, not a queue
  let producerSliceMaxMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { block } = await watchLoop(async () => {
    let made = 0;
    for (let i = 0; made < INSERT_ROWS; i++) {
      for (let s = 0; s < streams && made < INSERT_ROWS; ) {
        const s0 = performance.now();
        for (const end = Math.min(s + SLICE, streams); s < end && made < INSERT_ROWS; s++, made++) {
          writer.enqueue(heartbeat(`camera-${String(s + 1).padStart(4, '0')}`, i, i % 50 === 49 ? 'timeout' : 'ok'));
        }
        producerSliceMaxMs = Math.max(producerSliceMaxMs, performance.now() - s0);
        await nextTurn();
        // Backlogged: what the next enqueue would do once the running flush ends (a flush at
        // maxRows); waiting without enqueuing would leave the writer to its 1 s timer instead.
        while (writer.stats().queued > BACKLOG) await writer.flush();
      }
    }
    await writer.close();
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const stats = writer.stats();
  if (stats.written !== INSERT_ROWS) throw new Error(`writer wrote ${stats.written} of ${INSERT_ROWS} rows: ${stats.lastError?.message ?? ''}`);
  const fill = (r: SizeReport): number => round((r.tables.heartbeats?.payload ?? 0) / (r.tables.heartbeats?.bytes ?? 1), 3);
  const live = await measureSize(file);
  const vacuumedFile = join(dir, 'insert-vacuumed.db');
  const db = await Db.open(file);
  await db.run('VACUUM INTO ?', [vacuumedFile]).finally(() => db.close());
  const vacuumed = await measureSize(vacuumedFile);
  return {
    rows: stats.written,
    streams,
    wallMs: round(wallMs, 0),
    rowsPerS: Math.round(stats.written / (wallMs / 1000)),
    flushes: stats.flushes,
    meanBatch: Math.round(stats.written / Math.max(1, stats.flushes)),
    failedFlushes: stats.failedFlushes,
    cpuUsPerRow: round((cpu.user + cpu.system) / stats.written, 1),
    block,
    producerSliceMaxMs: round(producerSliceMaxMs, 1),
    heartbeatsFill: { live: fill(live), vacuumed: fill(vacuumed) },
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'sp-store-bench-'));
  const cleanUp = (): void => {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    const fs = statfsSync(dir);
    const freeBytes = fs.bavail * fs.bsize;
    // The N-stream file, its build copy and VACUUM's output side by side, with room to spare.
    const needBytes = STREAMS * 2.6e6 * 2.5;
    console.log(`store bench: ${STREAMS} streams, ${DAYS} simulated days at ${INTERVAL_MS / 1000} s, ${INSERT_ROWS} insert rows; in ${dir} (${(freeBytes / 1e9).toFixed(1)} GB free)`);
    if (freeBytes < needBytes) throw new Error(`needs about ${(needBytes / 1e9).toFixed(1)} GB free in ${tmpdir()}`);

    // 1. Insert rate and event-loop block.
    const insert = await insertBench(dir, Math.min(STREAMS, INSERT_ROWS));
    console.log(`\n1. Insert through BatchedWriter (default batching: flush at 500 rows or 1 s)\n`);
    console.log(table(
      ['rows', 'streams', 'wall s', 'rows/s', 'flushes', 'rows/flush', 'CPU µs/row', 'loop delay max/p99 ms', '1 ms timer gap max/p99 ms', 'on-CPU gap max ms', 'GC max ms', 'producer slice max ms'],
      [[String(insert.rows), String(insert.streams), (insert.wallMs / 1000).toFixed(2), String(insert.rowsPerS), String(insert.flushes),
        String(insert.meanBatch), insert.cpuUsPerRow.toFixed(1), `${insert.block.delayMaxMs} / ${insert.block.delayP99Ms}`,
        `${insert.block.timerGapMaxMs} / ${insert.block.timerGapP99Ms}`, String(insert.block.busyGapMaxMs), String(insert.block.gcMaxMs),
        String(insert.producerSliceMaxMs)]],
    ));
    console.log('(loop delay: perf_hooks monitorEventLoopDelay; timer gap: a 1 ms setInterval; on-CPU gap: the longest gap in which the main ' +
      'thread itself was running, which leaves out time the OS gave to other processes; the producer building heartbeats blocks too)');
    console.log(`heartbeats b-tree fill (row bytes / page bytes): ${insert.heartbeatsFill.live} as written live, ${insert.heartbeatsFill.vacuumed} after VACUUM`);

    // 2. Steady-state size.
    const endMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const tplFile = join(dir, 'templates.db');
    const history = await simulateTemplates(tplFile, PROFILES, DAYS, endMs);
    const longest = (pick: (p: RetentionPolicy) => number): number => Math.max(...CANDIDATES.map(pick));
    const reach: Reach = {
      raw: longest((p) => p.rawMs), minute: longest((p) => p.minuteMs), hour: longest((p) => p.hourMs),
      day: longest((p) => p.dayMs), outages: longest((p) => p.outageMs),
    };
    const t1 = performance.now();
    const extended = await extendBackwards(tplFile, history, reach);
    const extendMs = since(t1);
    console.log(`\n2. Steady-state size at a ${INTERVAL_MS / 1000} s interval, after VACUUM`);
    console.log(`templates: ${PROFILES.length} streams × ${DAYS} days simulated through HealthTracker → BatchedWriter → rollUpAll ` +
      `(${history.heartbeats} heartbeats, ${history.outages} outages; write ${(history.simulateMs / 1000).toFixed(1)} s, ` +
      `roll-up ${(history.rollupMs / 1000).toFixed(1)} s); older levels extended by repeating those ${DAYS} days: +${extended} rows in ${(extendMs / 1000).toFixed(1)} s`);
    console.log(`fleet mix: ${PROFILES.map((p) => `${p.name} ${p.share * 100}%`).join(', ')}`);
    const cycles = (keep: number): string => (keep <= DAYS * DAY_MS ? 'simulated rows' : `${DAYS} d repeated ×${round(keep / (DAYS * DAY_MS), 1)}`);
    console.log(`extrapolation (longest level any policy keeps): raw ${cycles(reach.raw)}, minute ${cycles(reach.minute)}, hour ${cycles(reach.hour)}, ` +
      `day ${cycles(reach.day)}, outages ${cycles(reach.outages)}`);

    const fleetFile = join(dir, 'fleet.db');
    const fleet = planFleet(STREAMS, PROFILES);
    const build: FleetBuild = await buildFleet(fleetFile, tplFile, fleet, DEFAULT_RETENTION, endMs);
    const size = await measureSize(fleetFile);
    const main = perStream(size, build, STREAMS, DEFAULT_RETENTION);
    const retained = Object.entries(build.retention).filter(([k, v]) => k !== 'batches' && v > 0);
    console.log(`${STREAMS}-stream file: copy ${(build.copyMs / 1000).toFixed(1)} s, real applyRetention check ${(build.retentionMs / 1000).toFixed(1)} s ` +
      `(deleted ${retained.length === 0 ? 'nothing, as expected' : JSON.stringify(Object.fromEntries(retained))}), VACUUM INTO ${(build.vacuumMs / 1000).toFixed(1)} s; ` +
      `${(size.fileBytes / 1e9).toFixed(3)} GB (${(build.bytesBeforeVacuum / 1e9).toFixed(3)} GB before VACUUM), ${size.freePages} free pages`);
    console.log(`per stream: ${SIZE_TABLES.map((t) => `${t} ${main.rowsPerStream[t] ?? 0} rows × ` +
      `${round((main.perTable[t] ?? 0) / Math.max(1, main.rowsPerStream[t] ?? 0), 1)} B`).join(', ')} (bytes per row include indexes and page overhead)\n`);

    const candidates: PolicySize[] = [];
    // --quick: every fifth candidate, to stay a cheap smoke run.
    for (const p of CANDIDATES.filter((_, i) => !QUICK || i % 5 === 0)) candidates.push(await smallFleetSize(dir, tplFile, planFleet(CANDIDATE_STREAMS, PROFILES), p, endMs));
    const profiles: PolicySize[] = [];
    for (const profile of PROFILES) {
      profiles.push({ ...(await smallFleetSize(dir, tplFile, planFleet(PROFILE_STREAMS, [{ ...profile, share: 1 }]), DEFAULT_RETENTION, endMs)), policy: profile.name });
    }
    console.log(sizeTable([main], () => `default policy, ${STREAMS} streams`));
    console.log('');
    console.log(sizeTable(candidates, (r) => r.policy));
    console.log('');
    console.log(sizeTable(profiles, (r) => `default policy, ${r.policy} cameras only`));
    const recommended = candidates.find((c) => c.meetsGoal);
    // A live file is never VACUUMed: its b-trees are as full as inserts and deletes leave them.
    const liveFactor = insert.heartbeatsFill.vacuumed / Math.max(0.01, insert.heartbeatsFill.live);
    console.log(`\na file that is never VACUUMed: heartbeats pages were ${insert.heartbeatsFill.live} full as written live vs ` +
      `${insert.heartbeatsFill.vacuumed} packed, so expect about ×${round(liveFactor, 2)} (default policy ≈ ${mb(main.bytesPerStream * liveFactor)} MB/stream)`);
    console.log(`goal ≤ ${mb(GOAL_BYTES)} MB/stream: default policy ${mb(main.bytesPerStream)} MB/stream → ${main.meetsGoal ? 'met' : 'NOT met'}; ` +
      `first candidate (in order of preference) within the goal: ${recommended ? recommended.policy : 'none'}`);

    // 3. Queries on the N-stream file.
    const queries: QueryTimes = await timeQueries(fleetFile, fleet.map((s) => s.id), endMs, {
      uptimeIds: sampleFleet(fleet, PROFILES, UPTIME_SAMPLE),
      latencyIds: sampleFleet(fleet, PROFILES, QUICK ? 5 : 20),
      // 20–40 s per call for 1,000 streams on a shared 2-core machine: once is enough there.
      uptimeOfAllRuns: QUICK || STREAMS > 100 ? 1 : 3,
    });
    console.log(`\n3. Queries on the ${STREAMS}-stream file (default policy, OS page cache warm)\n`);
    console.log(table(
      ['query', 'runs', 'p50 ms', 'p95 ms', 'max ms', 'total s', 'loop delay max ms', 'on-CPU gap max ms'],
      queries.rows.map((q) => [q.name, String(q.runs), q.p50Ms.toFixed(1), q.p95Ms.toFixed(1), q.maxMs.toFixed(1), (q.totalMs / 1000).toFixed(2),
        q.block.delayMaxMs.toFixed(1), q.block.busyGapMaxMs.toFixed(1)]),
    ));
    for (const note of queries.notes) console.log(note);

    const report = {
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
      args: { streams: STREAMS, days: DAYS, rows: INSERT_ROWS, quick: QUICK, uptimeSample: UPTIME_SAMPLE },
      insert,
      size: {
        intervalMs: INTERVAL_MS, goalBytesPerStream: GOAL_BYTES, profiles: PROFILES, simulatedDays: DAYS,
        extrapolation: `levels kept longer than ${DAYS} days repeat the simulated days, shifted by whole multiples of ${DAYS} days`,
        fleet: { ...main, build, file: size }, candidates, perProfile: profiles, recommended: recommended?.policy ?? null,
        liveFactorEstimate: round(liveFactor, 3),
      },
      queries,
      totalS: round((performance.now() - started) / 1000, 1),
    };
    const out = join(process.cwd(), 'bench-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'store.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${join(out, 'store.json')} in ${report.totalS} s total${values.keep ? `; databases kept in ${dir}` : ''}`);
  } finally {
    cleanUp();
  }
}

/** Bytes per stream of a small fleet under one policy (the file is removed afterwards). */
async function smallFleetSize(dir: string, tplFile: string, fleet: ReturnType<typeof planFleet>, p: RetentionPolicy, endMs: number): Promise<PolicySize> {
  const file = join(dir, 'candidate.db');
  try {
    const build = await buildFleet(file, tplFile, fleet, p, endMs);
    return perStream(await measureSize(file), build, fleet.length, p);
  } finally {
    rmSync(file, { force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
