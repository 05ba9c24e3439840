/**
 * The seeded fault plan (deterministic, per-camera independent, the asked-for rate and bounds)
 * and the fault book the cameras consult (exact interval bounds, no overlaps).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultBook, faultPlan, fnv1a, xorshift32 } from './fault-plan.js';
import { FAULT_KINDS } from './types.js';

const HOUR = 3_600_000;
const cameras = Array.from({ length: 400 }, (_, i) => `cam-${String(i + 1).padStart(4, '0')}`);

describe('faultPlan', () => {
  const base = { cameras, durationMs: 6 * HOUR, outagesPerCameraHour: 2, seed: 7, startMs: 1_800_000_000_000 };

  it('is deterministic for a seed and differs between seeds', () => {
    assert.deepEqual(faultPlan(base), faultPlan(base));
    assert.notDeepEqual(faultPlan(base), faultPlan({ ...base, seed: 8 }));
  });

  it("draws each camera's faults independently of the other cameras", () => {
    const all = faultPlan(base).filter((f) => f.camera === 'cam-0123');
    const alone = faultPlan({ ...base, cameras: ['cam-0123'] });
    assert.ok(all.length > 0);
    assert.deepEqual(alone, all);
  });

  it('keeps faults inside the window, within the length bounds, apart by the gap, sorted by start', () => {
    const plan = faultPlan({ ...base, minOutageMs: 20_000, maxOutageMs: 90_000, minGapMs: 45_000 });
    const end = base.startMs + base.durationMs;
    plan.forEach((f, i) => {
      assert.ok(f.start >= base.startMs && f.end <= end, `${f.camera} ${f.start}..${f.end} outside the window`);
      assert.ok(f.end - f.start <= 90_000);
      if (f.end < end) assert.ok(f.end - f.start >= 20_000, `${f.end - f.start} ms is shorter than minOutageMs`);
      assert.ok(FAULT_KINDS.includes(f.kind));
      if (i > 0) assert.ok((plan[i - 1]?.start ?? 0) <= f.start);
    });
    for (const camera of cameras) {
      const own = plan.filter((f) => f.camera === camera);
      for (let i = 1; i < own.length; i++) assert.ok((own[i]?.start ?? 0) - (own[i - 1]?.end ?? 0) >= 45_000);
    }
  });

  it('comes close to the asked rate and uses every kind', () => {
    const plan = faultPlan(base);
    // A Poisson process paused ~2 min (mean outage + gap) after each of ~2 outages an hour runs
    // about 1 - 2·(105+60)/3600 ≈ 91 % of the time: expect ~0.91 × 2 × 6 × 400 ≈ 4,370.
    assert.ok(plan.length > 4000 && plan.length < 4700, `${plan.length} faults`);
    for (const kind of FAULT_KINDS) {
      const share = plan.filter((f) => f.kind === kind).length / plan.length;
      assert.ok(share > 0.15 && share < 0.25, `${kind}: ${share}`);
    }
    assert.deepEqual(faultPlan({ ...base, outagesPerCameraHour: 0 }), []);
    assert.ok(faultPlan({ ...base, kinds: ['down'] }).every((f) => f.kind === 'down'));
  });

  it('xorshift32 and fnv1a are the published functions', () => {
    // FNV-1a 32 of "a" is 0xe40c292c (reference test vector); xorshift32 from 1 gives 270369.
    assert.equal(fnv1a('a'), 0xe40c292c);
    assert.equal(xorshift32(1)() * 0x1_0000_0000, 270369);
  });
});

describe('FaultBook', () => {
  it('answers faultAt exactly at the bounds: start inclusive, end exclusive', () => {
    const book = new FaultBook(0, [
      { camera: 'a', kind: 'down', start: 1000, end: 2000 },
      { camera: 'a', kind: 'slow', start: 2000, end: 2500 },
      { camera: 'b', kind: 'auth', start: 0, end: 10 },
    ]);
    assert.equal(book.faultAt('a', 999), undefined);
    assert.equal(book.faultAt('a', 1000)?.kind, 'down');
    assert.equal(book.faultAt('a', 1999)?.kind, 'down');
    assert.equal(book.faultAt('a', 2000)?.kind, 'slow');
    assert.equal(book.faultAt('a', 2500), undefined);
    assert.equal(book.faultAt('c', 5), undefined);
    assert.equal(book.size, 3);
    assert.deepEqual(
      book.intervals().map((f) => f.kind),
      ['auth', 'down', 'slow'],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(book)), { startedAt: 0, intervals: book.intervals() });
  });

  it('refuses overlapping faults of one camera and malformed ones', () => {
    const book = new FaultBook(0, [{ camera: 'a', kind: 'down', start: 1000, end: 2000 }]);
    assert.throws(() => book.add({ camera: 'a', kind: 'auth', start: 1500, end: 2500 }), /overlaps/);
    assert.throws(() => book.add({ camera: 'a', kind: 'auth', start: 500, end: 1001 }), /overlaps/);
    assert.throws(() => book.add({ camera: 'a', kind: 'auth', start: 3000, end: 3000 }), /start < end/);
    assert.throws(() => book.add({ camera: 'a', kind: 'auth', start: 3000, end: Number.POSITIVE_INFINITY }), /finite/);
    book.add({ camera: 'a', kind: 'auth', start: 2000, end: 2001 });
    book.add({ camera: 'b', kind: 'auth', start: 1500, end: 2500 });
    assert.equal(book.size, 3);
  });
});
