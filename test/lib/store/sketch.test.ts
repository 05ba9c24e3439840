import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKETCH_BUCKETS, SKETCH_RELATIVE_ERROR, addLatency, bucketBounds, bucketOf, decodeSketch, emptySketch, encodeSketch,
  mergeSketch, quantile, sketchCount,
} from '../../../nodes/lib/store/sketch.js';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? NaN;
}

describe('latency sketch', () => {
  it('has 64 monotonic buckets covering 1 ms … 60 s', () => {
    assert.equal(SKETCH_BUCKETS, 64);
    assert.equal(bucketOf(0), 0);
    assert.equal(bucketOf(0.99), 0);
    assert.equal(bucketOf(1), 1);
    assert.equal(bucketOf(59_999), 62);
    assert.equal(bucketOf(60_000), 63);
    assert.equal(bucketOf(Number.NaN), 0);
    let previous = 0;
    for (let ms = 0.5; ms < 70_000; ms *= 1.01) {
      const b = bucketOf(ms);
      assert.ok(b >= previous, `monotonic at ${ms}`);
      const [low, high] = bucketBounds(b);
      assert.ok(ms >= low * (1 - 1e-9) && ms < high * (1 + 1e-9), `${ms} inside bucket ${b} [${low}, ${high})`);
      previous = b;
    }
  });

  it('answers any single latency in range within the stated relative error (≈ 9.3 %)', () => {
    assert.ok(SKETCH_RELATIVE_ERROR > 0.09 && SKETCH_RELATIVE_ERROR < 0.1);
    for (let ms = 1; ms < 60_000; ms *= 1.037) {
      const s = emptySketch();
      addLatency(s, ms);
      const got = quantile(s, 0.5) ?? NaN;
      assert.ok(Math.abs(got - ms) / ms <= SKETCH_RELATIVE_ERROR + 1e-9, `${ms} → ${got}`);
    }
  });

  it('p50/p95 of a spread distribution stay within the error bound', () => {
    const values: number[] = [];
    for (let i = 0; i < 5000; i++) values.push(20 + ((i * 7919) % 3000) + (i % 7) * 0.3);
    const s = emptySketch();
    for (const v of values) addLatency(s, v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactQuantile(sorted, q);
      const got = quantile(s, q) ?? NaN;
      assert.ok(Math.abs(got - exact) / exact <= SKETCH_RELATIVE_ERROR + 1e-9, `q${q}: ${got} vs ${exact}`);
    }
  });

  it('clamps to known min/max and returns undefined when empty', () => {
    assert.equal(quantile(emptySketch(), 0.5), undefined);
    const s = emptySketch();
    addLatency(s, 100);
    assert.equal(quantile(s, 0.5, { min: 100, max: 100 }), 100);
    const slow = emptySketch();
    addLatency(slow, 90_000);
    assert.equal(quantile(slow, 0.95), 60_000);
    assert.equal(quantile(slow, 0.95, { min: 90_000, max: 90_000 }), 90_000);
  });

  it('merging equals adding all samples to one sketch', () => {
    const a = emptySketch();
    const b = emptySketch();
    const both = emptySketch();
    for (let i = 0; i < 300; i++) {
      const v = 5 + i * 3.3;
      addLatency(i % 2 ? a : b, v);
      addLatency(both, v);
    }
    assert.deepEqual(mergeSketch(a, b), both);
    assert.equal(sketchCount(a), 300);
  });

  it('encodes sparsely and round-trips, including large counts', () => {
    assert.equal(encodeSketch(emptySketch()), null);
    const s = emptySketch();
    for (const v of [120, 130, 180, 240]) addLatency(s, v);
    const blob = encodeSketch(s);
    assert.ok(blob && blob.length <= 1 + 4 * 2, `small blob: ${blob?.length}`);
    assert.deepEqual(decodeSketch(blob), s);
    const big = emptySketch();
    addLatency(big, 0.1, 5);
    addLatency(big, 300, 200_000);
    addLatency(big, 70_000, 4_000_000_000);
    assert.deepEqual(decodeSketch(encodeSketch(big)), big);
  });

  it('treats NULL, unknown versions and truncated blobs as empty', () => {
    assert.equal(sketchCount(decodeSketch(null)), 0);
    assert.equal(sketchCount(decodeSketch(Buffer.from([9, 1, 1]))), 0);
    assert.equal(sketchCount(decodeSketch(Buffer.from([1, 5, 0x80]))), 0);
    assert.equal(sketchCount(decodeSketch(Buffer.from([1, 200, 1]))), 0);
  });
});
