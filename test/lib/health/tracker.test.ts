import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeCode, ProbeResult } from '../../../nodes/lib/heartbeat.js';
import { HealthTracker } from '../../../nodes/lib/health/tracker.js';
import type { HealthOptions } from '../../../nodes/lib/health/types.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

function result(code: ProbeCode, seconds: number, extra: Partial<ProbeResult> = {}): ProbeResult {
  return {
    stream: { id: 'gate', name: 'Gate', url: 'rtsp://gate.test/live', protocol: 'rtsp' },
    ts: at(seconds),
    ok: code === 'ok',
    code,
    message: `${code} at ${seconds}`,
    latencyMs: 50,
    timings: code === 'ok' ? { firstFrameMs: 40 } : {},
    ...extra,
  };
}

/** Feeds `codes` 15 s apart starting at `start`; returns the states after each. */
function feed(tracker: HealthTracker, codes: ProbeCode[], start = 0): string[] {
  return codes.map((code, i) => tracker.update(result(code, start + i * 15)).health.state);
}

const tracker = (options: HealthOptions = {}): HealthTracker => new HealthTracker('gate', { now: () => T0 - 60_000, ...options });

describe('HealthTracker', () => {
  it('starts unknown', () => {
    const h = tracker().current();
    assert.deepEqual(h, { state: 'unknown', since: at(-60), changed: false, failStreak: 0, flapping: false });
  });

  it('debounces: one failure keeps online, the second makes offline since the first', () => {
    const t = tracker();
    assert.equal(t.update(result('ok', 0)).health.state, 'online');
    const one = t.update(result('timeout', 15));
    assert.deepEqual(one.health, { state: 'online', since: at(0), changed: false, failStreak: 1, flapping: false });
    assert.equal(one.stateChanged, false);
    const two = t.update(result('refused', 30));
    assert.deepEqual(two.health, { state: 'offline', since: at(15), changed: true, failStreak: 2, flapping: false });
    assert.equal(two.stateChanged, true);
    const three = t.update(result('refused', 45));
    assert.equal(three.health.changed, false, 'changed only on the update that changed the state');
    assert.equal(three.health.failStreak, 3);
    assert.equal(three.health.since, at(15));
  });

  it('a success between failures resets the streak', () => {
    const t = tracker();
    assert.deepEqual(feed(t, ['ok', 'timeout', 'ok', 'timeout', 'ok']), ['online', 'online', 'online', 'online', 'online']);
    assert.equal(t.current().failStreak, 0);
  });

  it('goes from unknown straight to offline after two failures at start', () => {
    const t = tracker();
    const first = t.update(result('dns', 0));
    assert.deepEqual(first.health, { state: 'unknown', since: at(-60), changed: false, failStreak: 1, flapping: false });
    const second = t.update(result('dns', 1));
    assert.deepEqual(second.health, { state: 'offline', since: at(0), changed: true, failStreak: 2, flapping: false });
    assert.equal(second.outage, undefined);
  });

  it('recovers on one success and reports the outage that ended', () => {
    const t = tracker();
    feed(t, ['ok', 'timeout', 'refused', 'refused', 'timeout', 'refused']); // offline since 15 s
    const back = t.update(result('ok', 90));
    assert.deepEqual(back.health, { state: 'online', since: at(90), changed: true, failStreak: 0, flapping: false });
    assert.deepEqual(back.outage, {
      streamId: 'gate',
      start: at(15),
      end: at(90),
      durationMs: 75_000,
      code: 'refused', // 3 × refused beats 2 × timeout
      message: 'refused at 30',
    });
    assert.equal(t.update(result('ok', 105)).outage, undefined, 'an outage is reported once');
  });

  it('on a tie the outage code is the first one seen', () => {
    const t = tracker();
    feed(t, ['ok', 'auth_failed', 'not_found']);
    assert.deepEqual(
      t.update(result('ok', 45)).outage,
      { streamId: 'gate', start: at(15), end: at(45), durationMs: 30_000, code: 'auth_failed', message: 'auth_failed at 15' },
    );
  });

  it('successesToOnline > 1: the outage ends at the first good probe of the streak', () => {
    const t = tracker({ successesToOnline: 2 });
    feed(t, ['timeout', 'timeout']);
    assert.equal(t.update(result('ok', 30)).health.state, 'offline');
    const back = t.update(result('ok', 45));
    assert.equal(back.health.state, 'online');
    assert.equal(back.health.since, at(30));
    assert.equal(back.outage?.end, at(30));
    assert.equal(back.outage?.durationMs, 30_000);
  });

  it('partial evidence (no_frame, frozen, bad_frame) is degraded, never offline by itself', () => {
    for (const code of ['no_frame', 'frozen', 'bad_frame'] as const) {
      const t = tracker();
      t.update(result('ok', 0));
      const d = t.update(result(code, 15));
      assert.deepEqual(d.health, { state: 'degraded', since: at(15), changed: true, failStreak: 0, flapping: false }, code);
      assert.deepEqual(feed(t, [code, code, code, code], 30), ['degraded', 'degraded', 'degraded', 'degraded']);
      assert.equal(t.update(result('ok', 200)).health.state, 'online');
    }
  });

  it('partials neither reset nor extend the failure streak', () => {
    const t = tracker();
    t.update(result('ok', 0));
    t.update(result('timeout', 15));
    const d = t.update(result('no_frame', 30));
    assert.equal(d.health.state, 'degraded');
    assert.equal(d.health.failStreak, 1);
    const off = t.update(result('timeout', 45));
    assert.deepEqual(off.health, { state: 'offline', since: at(15), changed: true, failStreak: 2, flapping: false });
  });

  it('a partial answer ends an outage (offline → degraded)', () => {
    const t = tracker();
    feed(t, ['ok', 'unreachable', 'unreachable']);
    const d = t.update(result('no_frame', 45));
    assert.deepEqual(d.health, { state: 'degraded', since: at(45), changed: true, failStreak: 0, flapping: false });
    assert.deepEqual(d.outage, {
      streamId: 'gate',
      start: at(15),
      end: at(45),
      durationMs: 30_000,
      code: 'unreachable',
      message: 'unreachable at 15',
    });
    // A new outage needs a new streak of failures.
    assert.equal(t.update(result('timeout', 60)).health.state, 'degraded');
    assert.equal(t.update(result('timeout', 75)).health.since, at(60));
  });

  it('partialsToDegraded debounces degraded when asked', () => {
    const t = tracker({ partialsToDegraded: 2 });
    t.update(result('ok', 0));
    assert.equal(t.update(result('frozen', 15)).health.state, 'online');
    const d = t.update(result('frozen', 30));
    assert.equal(d.health.state, 'degraded');
    assert.equal(d.health.since, at(15));
  });

  it('a first frame slower than slowFrameMs is degraded; without the option it is not', () => {
    const slow = (s: number): ProbeResult => result('ok', s, { latencyMs: 4_000, timings: { firstFrameMs: 3_500 } });
    const t = tracker({ slowFrameMs: 2_000 });
    assert.equal(t.update(result('ok', 0)).health.state, 'online');
    assert.equal(t.update(slow(15)).health.state, 'degraded');
    assert.equal(t.update(result('ok', 30)).health.state, 'online');
    const relaxed = tracker();
    assert.equal(relaxed.update(slow(0)).health.state, 'online');
    // Without a first-frame timing the latency counts.
    const noTiming = tracker({ slowFrameMs: 2_000 });
    assert.equal(noTiming.update(result('ok', 0, { latencyMs: 2_500, timings: {} })).health.state, 'degraded');
  });

  it('flaps on more than flapChanges changes in the window and calms down after', () => {
    const t = tracker({ flapChanges: 4, flapWindowMs: 10 * 60_000 });
    t.update(result('ok', 0)); // unknown → online does not count
    const flips: boolean[] = [];
    // online ⇄ degraded every 30 s: changes at 30, 60, 90, 120, 150 s.
    for (let i = 1; i <= 5; i++) {
      const u = t.update(result(i % 2 ? 'frozen' : 'ok', i * 30));
      flips.push(u.health.flapping);
      if (i === 5) assert.equal(u.flappingChanged, true);
    }
    assert.deepEqual(flips, [false, false, false, false, true], 'the fifth change within 10 min flaps');
    // Stable afterwards: flapping holds while 5 changes are in the window, then clears.
    assert.equal(t.update(result('frozen', 600 + 29)).health.flapping, true);
    const calm = t.update(result('frozen', 600 + 31));
    assert.equal(calm.health.flapping, false, 'the change at 30 s left the window');
    assert.equal(calm.flappingChanged, true);
    assert.equal(calm.health.state, 'degraded');
  });

  it('round-trips through a JSON snapshot, keeping since, streaks, the outage and flaps', () => {
    const t = tracker({ flapChanges: 2 });
    feed(t, ['ok', 'frozen', 'ok', 'timeout', 'timeout', 'refused']); // offline since 45 s, 3 changes
    const json = JSON.parse(JSON.stringify(t.snapshot())) as unknown;
    const copy = tracker({ flapChanges: 2 });
    assert.equal(copy.restore(json), true);
    assert.deepEqual(copy.current(), t.current());
    assert.deepEqual(copy.snapshot(), t.snapshot());
    assert.deepEqual(copy.current(), { state: 'offline', since: at(45), changed: false, failStreak: 3, flapping: true });
    const a = t.update(result('ok', 100));
    const b = copy.update(result('ok', 100));
    assert.deepEqual(b, a);
    assert.equal(b.outage?.start, at(45));
    assert.equal(b.outage?.code, 'timeout');
  });

  it('refuses a malformed snapshot or one of another stream, changing nothing', () => {
    const t = tracker();
    t.update(result('ok', 0));
    const good = t.snapshot();
    const before = t.current();
    for (const bad of [
      null,
      'x',
      { ...good, version: 2 },
      { ...good, state: 'sleeping' },
      { ...good, since: 'yesterday' },
      { ...good, failStreak: -1 },
      { ...good, codes: [{ code: 'nope', count: 1, message: '' }] },
      { ...good, changes: [42] },
      { ...good, failStart: 'never' },
      { ...good, streamId: 'other' },
    ]) {
      assert.equal(t.restore(bad), false, JSON.stringify(bad));
    }
    assert.deepEqual(t.current(), before);
  });
});
