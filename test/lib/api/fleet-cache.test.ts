import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeCounterBook } from '../../../nodes/lib/api/counters.js';
import { fleetUptimes } from '../../../nodes/lib/api/fleet-cache.js';
import type { FleetUptimes } from '../../../nodes/lib/api/fleet-cache.js';
import type { ApiContext } from '../../../nodes/lib/api/types.js';
import type { Db, SqlParams } from '../../../nodes/lib/store/db.js';
import { T0, tempDir } from '../store/fixtures/heartbeats.js';
import type { TempDir } from '../store/fixtures/heartbeats.js';
import { freshStore, insertSchedule, ninetyThirty } from '../store/fixtures/schedule.js';
import { request } from './fixtures.js';

const DAY = 86_400_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Setup {
  db: Db;
  ctx: ApiContext;
  clock: { now: number };
  calls: () => number;
}

describe('fleet uptime cache', () => {
  let dir: TempDir;
  let n = 0;
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  /** A fresh store (so a fresh cache entry) whose `all` calls are counted; uptime ones delayed by `delayMs`. */
  async function setup(options: Partial<ApiContext>, delayMs = 0): Promise<Setup> {
    const db = await freshStore(dir.file(`c${n++}.db`));
    await insertSchedule(db, 'a', T0, T0 + DAY, 15_000, ninetyThirty);
    let count = 0;
    const all = db.all.bind(db);
    db.all = async <T>(sql: string, params?: SqlParams): Promise<T[]> => {
      count++;
      if (delayMs > 0 && sql.includes('raw_bounds')) await sleep(delayMs);
      return all<T>(sql, params);
    };
    const clock = { now: T0 + DAY };
    const book = new ProbeCounterBook();
    const ctx: ApiContext = {
      db, now: () => clock.now, storeBytes: () => Promise.resolve(0),
      counters: () => book.snapshot({ queued: 0, written: 0, dropped: 0, flushes: 0, failedFlushes: 0 }),
      ...options,
    };
    return { db, ctx, clock, calls: () => count };
  }

  async function defined(value: Promise<FleetUptimes | undefined>): Promise<FleetUptimes> {
    const v = await value;
    assert.ok(v, 'uptimes are there');
    return v;
  }

  it('computes once for concurrent requests and reuses the value while fresh', async () => {
    const { db, ctx, clock, calls } = await setup({ uptimeMaxAgeMs: 1000 });
    try {
      const [a, b] = await Promise.all([defined(fleetUptimes(ctx)), defined(fleetUptimes(ctx))]);
      assert.equal(a, b);
      assert.equal(a.computedAt, T0 + DAY);
      assert.equal(a.day.get('a')?.uptimePct, 75);
      const perComputation = calls();
      assert.ok(perComputation > 0);
      clock.now += 999;
      assert.equal(await fleetUptimes(ctx), a);
      assert.equal(calls(), perComputation);
    } finally {
      await db.close();
    }
  });

  it('serves a stale value while it refreshes in the background', async () => {
    const { db, ctx, clock, calls } = await setup({ uptimeMaxAgeMs: 1000 });
    try {
      const first = await defined(fleetUptimes(ctx));
      const perComputation = calls();
      clock.now += 1500;
      assert.equal(await fleetUptimes(ctx), first, 'answered at once with the old value');
      for (let i = 0; i < 200 && calls() < 2 * perComputation; i++) await sleep(10);
      await sleep(50);
      assert.equal((await defined(fleetUptimes(ctx))).computedAt, T0 + DAY + 1500);
      assert.equal(calls(), 2 * perComputation);
    } finally {
      await db.close();
    }
  });

  it('waits for a fresh value when the cached one is far too old; max age 0 never caches', async () => {
    const { db, ctx, clock } = await setup({ uptimeMaxAgeMs: 1000 });
    try {
      await fleetUptimes(ctx);
      clock.now += 60_000;
      assert.equal((await defined(fleetUptimes(ctx))).computedAt, clock.now);
      ctx.uptimeMaxAgeMs = 0;
      const a = await fleetUptimes(ctx);
      const b = await fleetUptimes(ctx);
      assert.notEqual(a, b);
    } finally {
      await db.close();
    }
  });

  it('answers without uptimes when the first computation takes longer than uptimeWaitMs', async () => {
    const { db, ctx } = await setup({ uptimeMaxAgeMs: 60_000, uptimeWaitMs: 30 }, 700);
    try {
      const started = Date.now();
      assert.equal(await fleetUptimes(ctx), undefined);
      assert.ok(Date.now() - started < 1000, 'did not wait for the computation');
      const list = await request(ctx, '/api/streams');
      const body = JSON.parse(list?.text ?? '{}') as { uptimeComputedAt: unknown; streams: { id: string; uptime: unknown }[] };
      assert.equal(body.uptimeComputedAt, null);
      assert.deepEqual(body.streams.map((s) => [s.id, s.uptime]), [['a', { '24h': null, '7d': null }]]);
      const metrics = await request(ctx, '/metrics');
      assert.ok(metrics && !metrics.text.includes('streampulse_uptime_ratio{'), 'no uptime series yet');
      assert.ok(metrics.text.includes('streampulse_up{stream="a",name="Camera a"} 1'));
      // The computation went on in the background and is served once done.
      let ready: FleetUptimes | undefined;
      for (let i = 0; i < 100 && !ready; i++) {
        await sleep(50);
        ready = await fleetUptimes(ctx);
      }
      assert.equal(ready?.day.get('a')?.uptimePct, 75);
      const later = await request(ctx, '/metrics');
      assert.match(later?.text ?? '', /streampulse_uptime_ratio\{stream="a",name="Camera a",window="24h"\} 0\.75\n/);
    } finally {
      await db.close();
    }
  });
});
