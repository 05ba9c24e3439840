import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../../nodes/lib/store/db.js';
import { STREAM_PAGE, firstsOfAll, latestHeartbeats, planFromFirsts, uptimeOfAll } from '../../../nodes/lib/store/fleet.js';
import { heartbeatsBetween, planSegments, uptime } from '../../../nodes/lib/store/queries.js';
import type { UptimeResult } from '../../../nodes/lib/store/queries.js';
import { applyRetention } from '../../../nodes/lib/store/retention.js';
import { rollUpAll } from '../../../nodes/lib/store/rollup.js';
import { INSERT_HEARTBEAT, UPSERT_STREAM, heartbeatRow, streamParams } from '../../../nodes/lib/store/rows.js';
import { T0, heartbeat, tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';
import { freshStore } from './fixtures/schedule.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Not on a minute edge, so window ends cut through roll-up buckets and raw spans. */
const END = T0 + 12 * DAY + 7 * MIN + 13_001;

type State = 'online' | 'offline' | 'degraded';

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Heartbeats at the given times; the state changes in runs, like a real camera. */
async function insertRows(db: Db, id: string, times: readonly number[], seed: number): Promise<void> {
  const next = random(seed);
  const states: State[] = ['online', 'online', 'online', 'degraded', 'offline'];
  let state: State = 'online';
  await db.transaction(async () => {
    await db.withStatement(INSERT_HEARTBEAT, async (insert) => {
      for (const ts of times) {
        if (next() < 0.03) state = states[Math.floor(next() * states.length)] ?? 'online';
        const hb = heartbeat(id, 0, state === 'offline' ? 'timeout' : 'ok');
        hb.ts = new Date(ts).toISOString();
        hb.latencyMs = 40 + Math.floor(next() * 900);
        hb.health.state = state;
        const row = heartbeatRow(hb);
        if (row.table === 'heartbeats') await insert.run(row.params);
      }
    });
    const last = heartbeat(id, 0);
    last.ts = new Date(times.at(-1) ?? T0).toISOString();
    const row = heartbeatRow(last);
    if (row.table === 'heartbeats') await db.run(UPSERT_STREAM, streamParams(row.stream, times[0] ?? T0));
  });
}

function every(from: number, to: number, step: number, skip: (ts: number) => boolean = () => false): number[] {
  const out: number[] = [];
  for (let ts = from; ts < to; ts += step) if (!skip(ts)) out.push(ts);
  return out;
}

/**
 * The SQL statements `work` ran. One trace listener per connection for the whole file: in
 * node-sqlite3 5.1.7 a second `on('trace')` after `off` toggles tracing off again (Db.onTrace's
 * unsubscribe does not reach the driver's removeListener). Trace events arrive asynchronously.
 */
const sinks = new WeakMap<Db, { statements?: string[] }>();
async function traced(db: Db, work: () => Promise<unknown>): Promise<string[]> {
  let sink = sinks.get(db);
  if (!sink) {
    const created: { statements?: string[] } = {};
    db.onTrace((sql) => created.statements?.push(sql));
    sinks.set(db, (sink = created));
  }
  const statements: string[] = [];
  sink.statements = statements;
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    sink.statements = undefined;
  }
  return statements;
}

describe('fleet queries', () => {
  let dir: TempDir;
  let db: Db;
  let ids: string[];

  before(async () => {
    dir = tempDir();
    db = await freshStore(dir.file('fleet.db'));
    // alpha: 12 days every 60 s, with two stopped-monitor gaps (one in the raw part, one older).
    const stopped = (ts: number): boolean =>
      (ts >= T0 + 3 * DAY && ts < T0 + 3 * DAY + 20 * MIN) || (ts >= END - 10 * HOUR && ts < END - 9 * HOUR - 17 * MIN);
    await insertRows(db, 'alpha', every(T0, END, MIN, stopped), 1);
    // bravo: a new camera, 30 h of history every 30 s.
    await insertRows(db, 'bravo', every(END - 30 * HOUR + 4321, END, 30_000), 2);
    // charlie: ran for the first 4 days, then was removed from the config.
    await insertRows(db, 'charlie', every(T0 + 5 * MIN, T0 + 4 * DAY, 45_000), 3);
    // echo: irregular intervals from 5 s to 7 min, so some spans hit the 5 min hold cap.
    const next = random(5);
    const echo: number[] = [];
    for (let ts = T0 + 17_000; ts < END; ts += 5_000 + Math.floor(next() * 415_000)) echo.push(ts);
    await insertRows(db, 'echo', echo, 6);
    // delta: known to the streams table but without a single heartbeat.
    const d = heartbeatRow(heartbeat('delta', 0));
    if (d.table === 'heartbeats') await db.run(UPSERT_STREAM, streamParams(d.stream, T0));

    await rollUpAll(db, END);
    await applyRetention(db, { rawMs: 2 * DAY, minuteMs: 5 * DAY, hourMs: 9 * DAY, dayMs: 400 * DAY, outageMs: 400 * DAY }, END);
    ids = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
  });
  after(async () => {
    await db.close();
    dir.remove();
  });

  const windows: [string, number, number][] = [
    ['last 24 h', END - DAY, END],
    ['last 7 d', END - 7 * DAY, END],
    ['last 30 d', END - 30 * DAY, END],
    ['odd edges across every level', T0 + DAY + 17 * MIN + 3_003, END - 5 * HOUR - 123],
    ['charlie’s last day', T0 + 3.5 * DAY, T0 + 4.5 * DAY],
    ['inside one raw gap', END - 10 * HOUR + 60_000, END - 9 * HOUR - 20 * MIN],
    ['the future', END, END + DAY],
    ['before any data', T0 - 10 * DAY, T0],
    ['empty', END - HOUR, END - HOUR],
  ];

  it('builds a dataset that really spans raw, minute, hour and day levels', async () => {
    const levels = (await planSegments(db, 'alpha', T0, END)).map((s) => s.level);
    assert.deepEqual(levels, ['raw', 'minute', 'hour', 'day']);
    assert.deepEqual((await planSegments(db, 'charlie', T0, END)).map((s) => s.level), ['hour', 'day']);
  });

  it('plans the same segments as planSegments for every stream and window', async () => {
    const firsts = await firstsOfAll(db);
    assert.deepEqual([...firsts.keys()], ids);
    for (const [label, from, to] of windows) {
      for (const id of ids) {
        const first = firsts.get(id);
        assert.ok(first);
        assert.deepEqual(planFromFirsts(first, from, to), await planSegments(db, id, from, to), `${label}, ${id}`);
      }
    }
  });

  it('gives exactly the per-stream uptime() of every stream for every window, however it is chunked', async () => {
    let partial = 0;
    for (const [label, from, to] of windows) {
      const expected = new Map<string, UptimeResult>();
      for (const id of ids) expected.set(id, await uptime(db, id, from, to));
      for (const target of [Infinity, 1e-6, undefined]) {
        const all = await uptimeOfAll(db, from, to, { targetStatementMs: target });
        assert.deepEqual([...all.keys()], ids, label);
        for (const id of ids) assert.deepEqual(all.get(id), expected.get(id), `${label}, ${id}, target ${target}`);
      }
      for (const one of expected.values()) if (one.uptimePct !== null && one.uptimePct > 0 && one.uptimePct < 100) partial++;
    }
    // The comparison must have had something to compare: real, partial uptimes.
    assert.ok(partial >= 10, `only ${partial} partial uptimes`);
    const week = await uptimeOfAll(db, END - 7 * DAY, END);
    assert.equal(week.get('delta')?.uptimePct, null);
    assert.ok((week.get('echo')?.observedMs ?? 0) < 7 * DAY, 'the hold cap leaves gaps unobserved');
  });

  it('uses two statements for all streams in one go, or one per chunk of streams', async () => {
    const one = await traced(db, () => uptimeOfAll(db, END - 7 * DAY, END, { targetStatementMs: Infinity }));
    assert.equal(one.length, 2, one.join('\n---\n'));
    // Chunks of one stream: the oldest rows, then one statement per stream.
    const each = await traced(db, () => uptimeOfAll(db, END - 7 * DAY, END, { targetStatementMs: 1e-6 }));
    assert.equal(each.length, 1 + ids.length, each.join('\n---\n'));
    // An empty window needs no aggregate statement at all.
    assert.equal((await traced(db, () => uptimeOfAll(db, END, END))).length, 1);
  });

  it('pages the per-stream lookups', async () => {
    const many = await freshStore(dir.file('many.db'));
    try {
      const count = 2 * STREAM_PAGE + 3;
      await many.transaction(async () => {
        for (let i = 0; i < count; i++) {
          const row = heartbeatRow(heartbeat(`s${String(i).padStart(4, '0')}`, i));
          if (row.table !== 'heartbeats') continue;
          await many.run(INSERT_HEARTBEAT, row.params);
          await many.run(UPSERT_STREAM, streamParams(row.stream, row.ts));
        }
      });
      const statements = await traced(many, async () => {
        assert.equal((await firstsOfAll(many)).size, count);
        assert.equal((await latestHeartbeats(many)).size, count);
      });
      assert.equal(statements.length, 6);
    } finally {
      await many.close();
    }
  });

  it('returns the newest heartbeat of every stream in one statement per page', async () => {
    let latest = new Map<string, unknown>();
    const statements = await traced(db, async () => {
      latest = await latestHeartbeats(db);
    });
    assert.equal(statements.length, 1);
    assert.equal((await traced(db, () => latestHeartbeats(db, 'bravo'))).length, 1);
    // charlie's raw rows are gone (retention) and delta never had any.
    assert.deepEqual([...latest.keys()], ['alpha', 'bravo', 'echo']);
    for (const id of latest.keys()) {
      const rows = await heartbeatsBetween(db, id, END - 2 * HOUR, END + 1, 10_000);
      assert.deepEqual(latest.get(id), rows.at(-1), id);
    }
    const one = await latestHeartbeats(db, 'bravo');
    assert.deepEqual([...one.values()], [latest.get('bravo')]);
    assert.equal((await latestHeartbeats(db, 'nope')).size, 0);
  });
});
