import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogBuckets, RollingHistogram } from '../../../nodes/lib/util/rolling-histogram.js';

/** Nearest-rank percentile of the exact samples. */
function exact(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] as number;
}

describe('LogBuckets', () => {
  it('gives percentiles within 1 % of the exact nearest-rank value, and the exact count, sum and max', () => {
    const b = new LogBuckets();
    const samples: number[] = [];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      // Spread over six decades: 2 ms .. 2000 s, as lags of a healthy and of a drowning scheduler.
      const v = 2 * 10 ** ((x / 2 ** 31) * 6);
      samples.push(v);
      b.add(v);
    }
    for (const p of [1, 10, 50, 90, 99, 99.9, 100]) {
      const want = exact(samples, p);
      const got = b.percentile(p) as number;
      assert.ok(Math.abs(got - want) / want <= 0.0101, `p${p}: ${got} vs ${want}`);
    }
    assert.equal(b.count, samples.length);
    assert.equal(b.max, Math.max(...samples));
    assert.ok(Math.abs(b.sum - samples.reduce((s, v) => s + v, 0)) < 1e-3);
  });

  it('puts sub-millisecond, negative and NaN lags in the first bucket and never answers above the max', () => {
    const b = new LogBuckets();
    assert.equal(b.percentile(50), undefined);
    b.add(-5);
    b.add(Number.NaN);
    b.add(0.2);
    assert.equal(b.count, 3);
    assert.equal(b.sum, 0.2);
    assert.equal(b.percentile(100), 0.2);
    b.add(10_000_000); // beyond the tracked hour: last bucket, max exact
    assert.equal(b.percentile(100), 10_000_000);
  });

  it('merges', () => {
    const a = new LogBuckets();
    const b = new LogBuckets();
    for (let i = 1; i <= 100; i++) (i % 2 ? a : b).add(i);
    a.merge(b);
    assert.equal(a.count, 100);
    assert.equal(a.max, 100);
    assert.ok(Math.abs((a.percentile(50) as number) - 50) <= 0.5);
  });
});

describe('RollingHistogram', () => {
  it('keeps the samples of the last window only, while _count and _sum grow for ever', () => {
    let now = 1_000_000;
    const h = new RollingHistogram({ windowMs: 60_000, slots: 12, now: () => now });
    h.add(5000);
    now += 30_000;
    h.add(10);
    assert.equal(h.window().count, 2);
    assert.equal(h.window().max, 5000);
    now += 31_000; // the 5000 ms sample is now 61 s old
    assert.equal(h.window().count, 1);
    assert.equal(h.window().max, 10);
    now += 60_000;
    assert.equal(h.window().count, 0);
    assert.equal(h.window().percentile(99), undefined);
    assert.deepEqual(h.total, { count: 2, sum: 5010 });
  });

  it('reuses a slot for a later period instead of adding the old counts', () => {
    let now = 0;
    const h = new RollingHistogram({ windowMs: 10_000, slots: 2, now: () => now });
    for (let i = 0; i < 100; i++) h.add(1000);
    now += 10_000; // same ring slot, next lap
    h.add(1);
    const w = h.window();
    assert.equal(w.count, 1);
    assert.equal(w.max, 1);
  });
});
