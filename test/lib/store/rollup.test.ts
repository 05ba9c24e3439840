import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../../nodes/lib/store/db.js';
import { rollUp, rollUpAll } from '../../../nodes/lib/store/rollup.js';
import type { RollupRow } from '../../../nodes/lib/store/rollup.js';
import { decodeSketch, sketchCount } from '../../../nodes/lib/store/sketch.js';
import { T0, tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';
import { freshStore, insertSchedule, ninetyThirty } from './fixtures/schedule.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

async function rows(db: Db, table: string, streamId?: string): Promise<RollupRow[]> {
  return streamId === undefined
    ? db.all<RollupRow>(`SELECT * FROM ${table} ORDER BY stream_id, bucket`)
    : db.all<RollupRow>(`SELECT * FROM ${table} WHERE stream_id = ? ORDER BY bucket`, [streamId]);
}

function sum(list: RollupRow[], key: 'online_ms' | 'observed_ms' | 'probes' | 'failures'): number {
  return list.reduce((n, r) => n + r[key], 0);
}

describe('rollUp', () => {
  let dir: TempDir;
  let n = 0;
  const next = (): Promise<Db> => freshStore(dir.file(`r${n++}.db`));
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  it('rolls 90 s online / 30 s offline into minutes with duration-based online time (75 %)', async () => {
    const db = await next();
    await insertSchedule(db, 'a', T0, T0 + 2 * HOUR, 15_000, ninetyThirty);
    await insertSchedule(db, 'b', T0, T0 + 2 * HOUR, 15_000, () => 'online');
    const result = await rollUp(db, 'minute', T0 + 2 * HOUR);
    assert.equal(result.rows, 240);
    const a = await rows(db, 'rollup_minute', 'a');
    assert.equal(a.length, 120);
    assert.equal(sum(a, 'observed_ms'), 2 * HOUR);
    assert.equal(sum(a, 'online_ms'), 0.75 * 2 * HOUR);
    assert.deepEqual(a.slice(0, 2).map((r) => [r.bucket - T0, r.online_ms, r.observed_ms, r.probes, r.failures]), [
      [0, MIN, MIN, 4, 0],
      [MIN, 30_000, MIN, 4, 2],
    ]);
    const first = a[0] as RollupRow;
    assert.equal(sketchCount(decodeSketch(first.latency_hist)), 4);
    assert.equal(first.latency_sum, 100 + 101 + 102 + 103);
    assert.deepEqual([first.latency_min, first.latency_max], [100, 103]);
    const b = await rows(db, 'rollup_minute', 'b');
    assert.equal(sum(b, 'online_ms'), 2 * HOUR);
    await db.close();
  });

  it('rolls only complete buckets', async () => {
    const db = await next();
    await insertSchedule(db, 'a', T0, T0 + 10 * MIN, 15_000, ninetyThirty);
    await rollUp(db, 'minute', T0 + 5 * MIN + 30_000);
    const a = await rows(db, 'rollup_minute', 'a');
    assert.deepEqual(a.map((r) => (r.bucket - T0) / MIN), [0, 1, 2, 3, 4]);
    assert.equal((await rollUp(db, 'hour', T0 + 5 * MIN)).rows, 0);
    await db.close();
  });

  it('is idempotent and an incremental run equals a one-shot run', async () => {
    const once = await next();
    await insertSchedule(once, 'a', T0, T0 + 2 * HOUR, 15_000, ninetyThirty);
    await rollUpAll(once, T0 + 2 * HOUR);
    const expected = await rows(once, 'rollup_minute');
    await rollUpAll(once, T0 + 2 * HOUR);
    await rollUpAll(once, T0 + 2 * HOUR);
    assert.deepEqual(await rows(once, 'rollup_minute'), expected, 're-running changes nothing');

    const inc = await next();
    // The first hour arrives, is rolled (its last span only known up to upTo), then the rest.
    await insertSchedule(inc, 'a', T0, T0 + HOUR - 10 * MIN, 15_000, ninetyThirty);
    await rollUpAll(inc, T0 + HOUR - 7 * MIN);
    await insertSchedule(inc, 'a', T0 + HOUR - 10 * MIN, T0 + 2 * HOUR, 15_000, ninetyThirty);
    await rollUpAll(inc, T0 + HOUR + 30_000);
    await rollUpAll(inc, T0 + 2 * HOUR);
    assert.deepEqual(await rows(inc, 'rollup_minute'), expected);
    assert.deepEqual(await rows(inc, 'rollup_hour'), await rows(once, 'rollup_hour'));
    await once.close();
    await inc.close();
  });

  it('does not count a stopped monitor as observed (spans capped at 5 min)', async () => {
    const db = await next();
    await insertSchedule(db, 'a', T0, T0 + 10 * MIN, 15_000, () => 'offline');
    await insertSchedule(db, 'a', T0 + HOUR, T0 + HOUR + 10 * MIN, 15_000, () => 'online');
    await rollUp(db, 'minute', T0 + 2 * HOUR);
    const a = await rows(db, 'rollup_minute', 'a');
    // Each run: 9 min 45 s between its first and last probe, then the last one held for 5 min.
    assert.equal(sum(a, 'observed_ms'), 2 * (14 * MIN + 45_000));
    assert.equal(sum(a, 'online_ms'), 14 * MIN + 45_000);
    await db.close();
  });

  it("counts 'degraded' as observed but not up", async () => {
    const db = await next();
    await insertSchedule(db, 'a', T0, T0 + 4 * MIN, 15_000, (ts) => ((ts - T0) % 120_000 < 60_000 ? 'online' : 'degraded'));
    await rollUp(db, 'minute', T0 + 4 * MIN);
    const a = await rows(db, 'rollup_minute', 'a');
    assert.equal(sum(a, 'observed_ms'), 4 * MIN);
    assert.equal(sum(a, 'online_ms'), 2 * MIN);
    await db.close();
  });

  it('builds hours and days from the finer level, merging sketches', async () => {
    const db = await next();
    await insertSchedule(db, 'a', T0, T0 + 2 * DAY, 60_000, (ts) => ((ts - T0) % (4 * MIN) < 3 * MIN ? 'online' : 'offline'));
    const results = await rollUpAll(db, T0 + 2 * DAY);
    assert.deepEqual(results.map((r) => r.level), ['minute', 'hour', 'day']);
    assert.ok(results.slice(0, 2).every((r) => r.chunks > 1), 'work is split into several transactions');
    const hours = await rows(db, 'rollup_hour', 'a');
    assert.equal(hours.length, 48);
    for (const h of hours) {
      assert.equal(h.observed_ms, HOUR);
      assert.equal(h.online_ms, 0.75 * HOUR);
    }
    const days = await rows(db, 'rollup_day', 'a');
    assert.equal(days.length, 2);
    for (const d of days) {
      assert.equal(d.probes, 1440);
      assert.equal(d.failures, 360);
      assert.equal(d.online_ms, 0.75 * DAY);
      assert.equal(sketchCount(decodeSketch(d.latency_hist)), 1080);
    }
    await db.close();
  });
});
