import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, stream } from './harness.js';

const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - (times[i] ?? 0));

describe('ProbeScheduler timing', () => {
  it('spreads the first probes of 10,000 streams evenly over the interval', async () => {
    const h = new Harness();
    const streams = Array.from({ length: 10_000 }, (_, i) => stream(`s${i}`));
    h.scheduler.setStreams(streams);
    await h.clock.tick(15_000);
    const first = new Map<string, number>();
    for (const s of h.starts) if (!first.has(s.id)) first.set(s.id, s.at);
    assert.equal(first.size, 10_000, 'every stream probed within its first interval');
    const buckets = new Array<number>(15).fill(0);
    for (const at of first.values()) {
      assert.ok(at >= 0 && at < 15_000, `first probe at ${at}`);
      buckets[Math.floor(at / 1000)] = (buckets[Math.floor(at / 1000)] ?? 0) + 1;
    }
    const mean = 10_000 / 15;
    for (const [second, count] of buckets.entries()) {
      assert.ok(Math.abs(count - mean) <= 0.2 * mean, `second ${second}: ${count} probes, mean ${mean.toFixed(0)}`);
    }
    // The load stays even in the steady state too (jitter on). Only the first boundary (t ≈ one
    // interval) ripples once: first probes are unjittered, second ones jittered (see timing.ts).
    await h.clock.tick(31_000);
    const steady = new Array<number>(15).fill(0);
    for (const s of h.starts) {
      if (s.at >= 30_000 && s.at < 45_000) steady[Math.floor((s.at - 30_000) / 1000)]! += 1;
    }
    for (const [second, count] of steady.entries()) {
      assert.ok(Math.abs(count - mean) <= 0.2 * mean, `steady second ${second}: ${count} probes`);
    }
    await h.close();
  });

  it('holds one timer for the whole fleet, not one per stream', async () => {
    const h = new Harness();
    h.scheduler.setStreams(Array.from({ length: 10_000 }, (_, i) => stream(`s${i}`)));
    assert.equal(h.clock.pending, 1);
    await h.clock.tick(20_000); // probes finish at once (duration 0)
    assert.equal(h.clock.pending, 1);
    await h.close();
    assert.equal(h.clock.pending, 0);
  });

  it('keeps the gap between probes within interval ± jitter and does not drift over 100 intervals', async () => {
    for (const durationMs of [0, 1_500]) {
      const h = new Harness({ jitter: 0.1 });
      h.behaviour = () => ({ durationMs, ok: true });
      h.scheduler.setStreams([stream('a', { intervalMs: 10_000 })]);
      await h.clock.tick(10_000 * 101);
      const times = h.startsOf('a').map((s) => s.at);
      assert.ok(times.length >= 100, `${times.length} probes`);
      const first = times[0] ?? 0;
      for (const [k, t] of times.entries()) {
        // Each probe stays within ±5 % of the interval around its drift-free grid point.
        assert.ok(Math.abs(t - (first + k * 10_000)) <= 500, `probe ${k} at ${t}: drifted (duration ${durationMs})`);
      }
      const g = gaps(times);
      for (const gap of g) assert.ok(gap >= 9_000 && gap <= 11_000, `gap ${gap}`);
      assert.ok(new Set(g.map((x) => Math.round(x))).size > 20, 'jitter actually varies the gaps');
      await h.close();
    }
  });

  it('without jitter, probes are exactly one interval apart, measured from the slot not the completion', async () => {
    const h = new Harness({ jitter: 0 });
    h.behaviour = () => ({ durationMs: 3_000, ok: true });
    h.scheduler.setStreams([stream('a', { intervalMs: 10_000 })]);
    await h.clock.tick(10_000 * 100);
    const g = gaps(h.startsOf('a').map((s) => s.at));
    assert.ok(g.length >= 98);
    for (const gap of g) assert.ok(Math.abs(gap - 10_000) < 1e-6, `gap ${gap}`);
    await h.close();
  });

  it('skips the slots a long probe missed instead of bursting to catch up', async () => {
    const h = new Harness({ jitter: 0 });
    h.behaviour = () => ({ durationMs: 25_000, ok: true });
    h.scheduler.setStreams([stream('a', { intervalMs: 10_000 })]);
    await h.clock.tick(200_000);
    const starts = h.startsOf('a');
    for (const s of starts) assert.equal(s.running, 1, 'never two probes of one stream');
    // Ends at +25 s; slots +10 and +20 were missed; the next is the first slot after the end: +30.
    for (const gap of gaps(starts.map((s) => s.at))) assert.ok(Math.abs(gap - 30_000) < 1e-6, `gap ${gap}`);
    await h.close();
  });

  it('retries a failing stream after 1, 2, 4, 8, 16 s, never later than its next regular slot, and resets on success', async () => {
    const h = new Harness({ jitter: 0, retryBaseMs: 1_000 });
    let failing = true;
    h.behaviour = () => ({ durationMs: 0, ok: !failing });
    h.scheduler.setStreams([stream('a', { intervalMs: 60_000 })]);
    await h.clock.tick(60_000 * 4);
    const starts = h.startsOf('a');
    const g = gaps(starts.map((s) => s.at));
    assert.deepEqual(g.slice(0, 5).map(Math.round), [1_000, 2_000, 4_000, 8_000, 16_000]);
    // The next doubling (32 s) would pass the regular slot at +60 s: the slot comes first (29 s).
    assert.equal(Math.round(g[5] ?? 0), 29_000);
    for (const gap of g.slice(6)) assert.equal(Math.round(gap), 60_000, 'capped at the interval');
    assert.deepEqual(
      starts.slice(0, 7).map((s) => s.info.attempt),
      [1, 2, 3, 4, 5, 6, 7],
      'attempt counts consecutive failures',
    );

    failing = false;
    const before = h.starts.length;
    await h.clock.tick(60_000 * 2 + 1);
    const healthy = h.starts.slice(before);
    assert.equal(healthy[0]?.info.attempt, h.startsOf('a').length - healthy.length + 1);
    assert.equal(healthy[1]?.info.attempt, 1, 'success resets the failure count');
    assert.equal(Math.round((healthy[1]?.at ?? 0) - (healthy[0]?.at ?? 0)), 60_000, 'back on the regular interval');

    failing = true;
    const healthyEnd = h.starts.length;
    await h.clock.tick(60_000 + 1_000);
    const again = h.starts.slice(healthyEnd);
    assert.equal(Math.round((again[1]?.at ?? 0) - (again[0]?.at ?? 0)), 1_000, 'backoff restarts at retryBase');
    await h.close();
  });

  it('after a successful retry just before a slot, waits for the next slot instead of probing twice in a row', async () => {
    const h = new Harness({ jitter: 0, retryBaseMs: 1_000 });
    // The grid run at 0 times out at 10 s; its retry at 11 s succeeds at 14.95 s, 50 ms before the slot at 15 s.
    h.behaviour = (_s, info) => (info.attempt === 1 && h.startsOf('a').length === 1 ? { durationMs: 10_000, ok: false } : { durationMs: 3_950, ok: true });
    h.scheduler.setStreams([stream('a', { intervalMs: 15_000 })]);
    await h.clock.tick(15_000 * 4);
    const anchor = h.startsOf('a')[0]?.at ?? 0;
    const starts = h.startsOf('a').map((s) => Math.round(s.at - anchor));
    assert.deepEqual(starts.slice(0, 4), [0, 11_000, 30_000, 45_000], 'the slot at 15 s is skipped, the grid kept');
    await h.close();
  });

  it('retries are measured from the failure and never wait longer than one interval', async () => {
    const h = new Harness({ jitter: 0.1, retryBaseMs: 1_000 });
    h.behaviour = () => ({ durationMs: 10_000, ok: false }); // a camera that times out
    h.scheduler.setStreams([stream('a', { intervalMs: 15_000 })]);
    await h.clock.tick(15_000 * 40);
    const starts = h.startsOf('a');
    const ends = h.completed.filter((c) => c.id === 'a');
    assert.ok(starts.length > 30);
    for (let i = 1; i < starts.length; i++) {
      const wait = (starts[i]?.at ?? 0) - (ends[i - 1]?.at ?? 0);
      assert.ok(wait >= 0 && wait <= 15_000 * 1.05 + 1e-6, `waited ${wait} ms after failure ${i}`);
    }
    assert.equal(Math.round((starts[1]?.at ?? 0) - (ends[0]?.at ?? 0)), 1_000, 'first retry after retryBase');
    await h.close();
  });
});
