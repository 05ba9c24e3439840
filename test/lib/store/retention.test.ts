import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../../nodes/lib/store/db.js';
import { DEFAULT_RETENTION, applyRetention } from '../../../nodes/lib/store/retention.js';
import { UPSERT_OUTAGE } from '../../../nodes/lib/store/rows.js';
import { rollUpAll } from '../../../nodes/lib/store/rollup.js';
import { T0, tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';
import { freshStore, insertSchedule } from './fixtures/schedule.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function count(db: Db, sql: string, params: (string | number)[] = []): Promise<number> {
  return (await db.get<{ n: number }>(sql, params))?.n ?? -1;
}

describe('applyRetention', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  it('has the documented defaults', () => {
    assert.deepEqual(DEFAULT_RETENTION, {
      rawMs: 24 * HOUR, minuteMs: 7 * DAY, hourMs: 90 * DAY, dayMs: 5 * 365 * DAY, outageMs: 365 * DAY,
    });
  });

  it('deletes each level past its age in small batches, per stream, and keeps open outages', async () => {
    const db = await freshStore(dir.file('ret.db'));
    for (const id of ['a', 'b', 'c']) await insertSchedule(db, id, T0, T0 + 4 * DAY, 60_000, () => 'online');
    await rollUpAll(db, T0 + 4 * DAY);
    for (const [id, start, end] of [['a', T0, T0 + HOUR], ['b', T0, null], ['a', T0 + 3 * DAY, T0 + 3 * DAY + HOUR]] as const) {
      await db.run(UPSERT_OUTAGE, [id, start, end, end === null ? null : end - start, 'timeout', 'x']);
    }
    const now = T0 + 4 * DAY;
    const policy = { rawMs: 1 * DAY, minuteMs: 2 * DAY, hourMs: 3 * DAY, dayMs: 3.5 * DAY, outageMs: 2 * DAY };
    const deletes: string[] = [];
    const stop = db.onTrace((sql) => {
      if (/^\s*DELETE/i.test(sql)) deletes.push(sql);
    });
    const result = await applyRetention(db, policy, now, { batchRows: 500 });
    stop();
    // raw: 3 days of 1440 per stream; minute: 2 days; hour: 1 day; day: buckets before T0 + 0.5 d.
    assert.deepEqual(
      { h: result.heartbeats, m: result.minute, hr: result.hour, d: result.day, o: result.outages },
      { h: 3 * 3 * 1440, m: 3 * 2 * 1440, hr: 3 * 24, d: 3, o: 1 },
    );
    // 4320 rows per stream in batches of 500 → 9 full-or-partial statements per stream at least.
    assert.ok(result.batches >= 3 * 9 + 3 * 6, `batches: ${result.batches}`);
    assert.equal(deletes.length, result.batches);
    assert.equal(await count(db, 'SELECT MIN(ts) AS n FROM heartbeats'), now - DAY);
    assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM heartbeats'), 3 * 1440);
    assert.equal(await count(db, 'SELECT MIN(bucket) AS n FROM rollup_minute'), now - 2 * DAY);
    assert.equal(await count(db, 'SELECT MIN(bucket) AS n FROM rollup_hour'), now - 3 * DAY);
    assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM rollup_day'), 3 * 3);
    const outages = await db.all<{ stream_id: string; end_ts: number | null }>('SELECT stream_id, end_ts FROM outages ORDER BY id');
    assert.deepEqual(outages, [{ stream_id: 'b', end_ts: null }, { stream_id: 'a', end_ts: T0 + 3 * DAY + HOUR }]);

    const again = await applyRetention(db, policy, now, { batchRows: 500 });
    assert.equal(again.heartbeats + again.minute + again.hour + again.day + again.outages, 0);
    await db.close();
  });

  it('keeps everything inside the default policy', async () => {
    const db = await freshStore(dir.file('keep.db'));
    await insertSchedule(db, 'a', T0, T0 + DAY, 60_000, () => 'online');
    const result = await applyRetention(db, undefined, T0 + DAY);
    assert.equal(result.heartbeats, 0);
    assert.equal(await count(db, 'SELECT COUNT(*) AS n FROM heartbeats'), 1440);
    await db.close();
  });
});
