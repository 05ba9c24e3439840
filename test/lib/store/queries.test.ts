import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../../nodes/lib/store/db.js';
import {
  currentStates, heartbeatsBetween, latencyPercentiles, outagesBetween, planSegments, uptime,
} from '../../../nodes/lib/store/queries.js';
import { applyRetention } from '../../../nodes/lib/store/retention.js';
import { rollUpAll } from '../../../nodes/lib/store/rollup.js';
import { UPSERT_OUTAGE } from '../../../nodes/lib/store/rows.js';
import { SKETCH_RELATIVE_ERROR } from '../../../nodes/lib/store/sketch.js';
import { T0, tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';
import { freshStore, insertSchedule, ninetyThirty } from './fixtures/schedule.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const latency = (i: number): number => 50 + ((i * 37) % 400);

describe('store queries', () => {
  let dir: TempDir;
  let db: Db;
  const END = T0 + 3 * DAY;
  before(async () => {
    dir = tempDir();
    db = await freshStore(dir.file('q.db'));
    await insertSchedule(db, 'a', T0, END, 15_000, ninetyThirty, latency);
    await insertSchedule(db, 'b', T0, END, 15_000, () => 'online', latency);
    await rollUpAll(db, END);
    for (const [id, start, end] of [['a', T0 + HOUR, T0 + 2 * HOUR], ['a', T0 + 5 * HOUR, null], ['b', T0 + 3 * HOUR, T0 + 4 * HOUR]] as const) {
      await db.run(UPSERT_OUTAGE, [id, start, end, end === null ? null : end - start, 'timeout', `down ${id}`]);
    }
  });
  after(async () => {
    await db.close();
    dir.remove();
  });

  it('lists every stream with its current state', async () => {
    const states = await currentStates(db);
    assert.deepEqual(states.map((s) => [s.id, s.state, s.lastSeen, s.lastCode]), [
      ['a', 'online', END - 15_000, 'ok'],
      ['b', 'online', END - 15_000, 'ok'],
    ]);
    assert.equal(states[0]?.firstSeen, T0);
  });

  it('computes 75 % uptime from durations over raw heartbeats, exactly at any window', async () => {
    const whole = await uptime(db, 'a', T0, END);
    assert.equal(whole.uptimePct, 75);
    assert.equal(whole.observedMs, 3 * DAY);
    // Inside the 30 s offline part of a cycle: 45 s of a 120 s cycle shifted by 90 s.
    const odd = await uptime(db, 'a', T0 + 90_000, T0 + 90_000 + 120_000);
    assert.equal(odd.uptimePct, 75);
    const down = await uptime(db, 'a', T0 + 95_000, T0 + 115_000);
    assert.equal(down.uptimePct, 0);
    assert.equal(down.observedMs, 20_000);
    const all = await uptime(db, undefined, T0, END);
    assert.equal(all.uptimePct, 87.5);
    assert.equal((await uptime(db, 'a', END + HOUR, END + 2 * HOUR)).uptimePct, null);
  });

  it('falls back to roll-ups where raw heartbeats were deleted, finest level first', async () => {
    const file = dir.file('q2.db');
    const aged = await freshStore(file);
    try {
      await insertSchedule(aged, 'a', T0, END, 15_000, ninetyThirty, latency);
      await rollUpAll(aged, END);
      await applyRetention(aged, { rawMs: 6 * HOUR, minuteMs: 30 * HOUR, hourMs: 60 * HOUR, dayMs: 10 * DAY, outageMs: DAY }, END);
      const segments = await planSegments(aged, 'a', T0, END);
      assert.deepEqual(segments.map((s) => [s.level, (s.from - T0) / HOUR, (s.to - T0) / HOUR]), [
        ['raw', 66, 72],
        ['minute', 42, 66],
        ['hour', 24, 42],
        ['day', 0, 24],
      ]);
      const result = await uptime(aged, 'a', T0, END);
      assert.equal(result.observedMs, 3 * DAY);
      assert.equal(result.uptimePct, 75);
      const p = await latencyPercentiles(aged, 'a', T0, END);
      const raw = await latencyPercentiles(db, 'a', T0, END);
      assert.equal(p.count, raw.count);
      assert.deepEqual([p.p50, p.p95, p.min, p.max], [raw.p50, raw.p95, raw.min, raw.max]);
    } finally {
      await aged.close();
    }
  });

  it('gives p50/p95 within the sketch error of the exact values', async () => {
    const rows = await heartbeatsBetween(db, 'b', T0, T0 + DAY, 100_000);
    const sorted = rows.map((r) => r.latencyMs).sort((x, y) => x - y);
    const exact = (q: number): number => sorted[Math.ceil(q * sorted.length) - 1] ?? NaN;
    const p = await latencyPercentiles(db, 'b', T0, T0 + DAY);
    assert.equal(p.count, sorted.length);
    for (const [got, q] of [[p.p50, 0.5], [p.p95, 0.95]] as const) {
      assert.ok(got !== null && Math.abs(got - exact(q)) / exact(q) <= SKETCH_RELATIVE_ERROR + 1e-9, `q${q}: ${got} vs ${exact(q)}`);
    }
    assert.equal(p.min, 50);
    assert.equal(p.max, 449);
    const none = await latencyPercentiles(db, 'b', END + DAY, END + 2 * DAY);
    assert.deepEqual(none, { count: 0, p50: null, p95: null, mean: null, min: null, max: null });
  });

  it('lists outages overlapping a window, open ones included', async () => {
    const a = await outagesBetween(db, 'a', T0 + 90 * MIN, T0 + 6 * HOUR);
    assert.deepEqual(a.map((o) => [o.streamId, (o.start - T0) / HOUR, o.end === null ? null : (o.end - T0) / HOUR]), [
      ['a', 1, 2],
      ['a', 5, null],
    ]);
    assert.deepEqual((await outagesBetween(db, undefined, T0 + 2 * HOUR, T0 + 5 * HOUR)).map((o) => o.streamId), ['b']);
    assert.deepEqual(await outagesBetween(db, 'a', T0, T0 + HOUR), [], 'an outage starting at `to` is outside');
  });

  it('returns raw heartbeats in [from, to), oldest first, limited', async () => {
    const rows = await heartbeatsBetween(db, 'a', T0 + 90_000, T0 + 150_000, 10);
    assert.deepEqual(rows.map((r) => [(r.ts - T0) / 1000, r.ok, r.state, r.code]), [
      [90, false, 'offline', 'timeout'],
      [105, false, 'offline', 'timeout'],
      [120, true, 'online', 'ok'],
      [135, true, 'online', 'ok'],
    ]);
    assert.equal((await heartbeatsBetween(db, 'a', T0, END, 3)).length, 3);
    assert.deepEqual(await heartbeatsBetween(db, "a' OR '1'='1", T0, END, 10), [], 'input is bound, not spliced');
  });
});
