import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../../nodes/lib/store/db.js';
import { uptimeOfAll } from '../../../nodes/lib/store/fleet.js';
import { rolledUptimeOfAll } from '../../../nodes/lib/store/fleet-rolled.js';
import { rollUpAll } from '../../../nodes/lib/store/rollup.js';
import { BatchedWriter, openStore } from '../../../nodes/lib/store/writer.js';
import { T0, heartbeat, tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Three days at 15 s; `END` is a minute edge plus a part minute, as a live store sees it. */
const PROBES = 3 * 24 * 240;
const END = T0 + PROBES * 15_000 + 37_000;

describe('rolledUptimeOfAll: fleet uptime from the roll-ups', () => {
  let dir: TempDir;
  let db: Db;

  before(async () => {
    dir = tempDir();
    const file = dir.file('fleet.db');
    const writer = BatchedWriter.forFile(file, { maxRows: 20_000, flushMs: 60_000 });
    // door: down 10 min every 6 h; yard: down from hour 30 to 42; gate: a gap of 2 h with no probes.
    for (let i = 0; i < PROBES; i++) {
      const t = i * 15_000;
      writer.enqueue(heartbeat('door', i, t % (6 * HOUR) < 10 * MIN ? 'timeout' : 'ok'));
      writer.enqueue(heartbeat('yard', i, t >= 30 * HOUR && t < 42 * HOUR ? 'refused' : 'ok'));
      if (t < 50 * HOUR || t >= 52 * HOUR) writer.enqueue(heartbeat('gate', i, i % 7 === 0 ? 'no_frame' : 'ok'));
      if (i % 20_000 === 19_999) await writer.flush();
    }
    await writer.close();
    db = await openStore(file);
    // The roll-up job ran a minute before END, so the last ~1.6 minutes are raw only.
    await rollUpAll(db, END - MIN);
  });
  after(async () => {
    await db.close();
    dir.remove();
  });

  for (const [label, from] of [['24 h', END - 24 * HOUR], ['48 h', END - 48 * HOUR], ['all 3 days', T0], ['10 min', END - 10 * MIN]] as const) {
    it(`equals the exact per-heartbeat reading over ${label} (window start on a minute edge)`, async () => {
      const start = Math.ceil(from / MIN) * MIN;
      const exact = await uptimeOfAll(db, start, END);
      const rolled = await rolledUptimeOfAll(db, start, END, END - MIN);
      assert.deepEqual([...rolled.keys()].sort(), [...exact.keys()].sort());
      for (const [id, want] of exact) {
        const got = rolled.get(id);
        assert.ok(got, id);
        assert.equal(got.observedMs, want.observedMs, `${id} observed`);
        assert.equal(got.onlineMs, want.onlineMs, `${id} online`);
        assert.equal(got.probes, want.probes, `${id} probes`);
        assert.equal(got.failures, want.failures, `${id} failures`);
      }
    });
  }

  it('gives the expected figures: time online over time observed', async () => {
    const day = await rolledUptimeOfAll(db, END - 24 * HOUR, END, END - MIN);
    const all = await rolledUptimeOfAll(db, T0, END, END - MIN);
    // yard was down 12 of the first 72 hours: 83.3 % over the whole run; up all of the last day.
    assert.ok(Math.abs((all.get('yard')?.uptimePct ?? 0) - (100 * 60) / 72) < 0.1, JSON.stringify(all.get('yard')));
    assert.equal(day.get('yard')?.uptimePct, 100);
    // door: 10 of every 360 minutes down.
    assert.ok(Math.abs((all.get('door')?.uptimePct ?? 0) - (100 * 350) / 360) < 0.1, JSON.stringify(all.get('door')));
    // gate: the 2 h gap is neither online nor observed (beyond the 5 min hold).
    assert.ok((all.get('gate')?.observedMs ?? 0) < 70 * HOUR + 10 * MIN);
  });

  it('counts only raw heartbeats when nothing is rolled up yet', async () => {
    const raw = await rolledUptimeOfAll(db, END - 30 * MIN, END, 0);
    const exact = await uptimeOfAll(db, END - 30 * MIN, END);
    assert.equal(raw.get('door')?.observedMs, exact.get('door')?.observedMs);
  });
});
