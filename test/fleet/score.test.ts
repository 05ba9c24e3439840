/**
 * Scoring a monitor's outages against the fleet's truth: detections and their delay, misses,
 * faults too short to see, merged faults, false alarms, recovery delay, the observation cut-off.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delayStats, observedFromOutage, scoreVerdicts } from './score.js';
import type { ObservedOutage } from './score.js';
import type { FaultInterval } from './types.js';

const T = 1_800_000_000_000;
const fault = (camera: string, kind: FaultInterval['kind'], startS: number, endS: number): FaultInterval => ({
  camera,
  kind,
  start: T + startS * 1000,
  end: T + endS * 1000,
});
const seen = (camera: string, startS: number, endS?: number, detectedS?: number): ObservedOutage => ({
  camera,
  start: T + startS * 1000,
  ...(endS !== undefined ? { end: T + endS * 1000 } : {}),
  ...(detectedS !== undefined ? { detectedAt: T + detectedS * 1000 } : {}),
});

describe('scoreVerdicts', () => {
  it('a perfect monitor: every fault detected, no false alarm, delays from fault start to detection', () => {
    const truth = [fault('a', 'down', 100, 200), fault('b', 'frozen', 50, 150), fault('a', 'auth', 400, 500)];
    const observed = [seen('a', 103, 218, 118), seen('b', 61, 166, 76), seen('a', 401, 515, 416)];
    const s = scoreVerdicts(truth, observed, { toleranceMs: 2000 });
    assert.equal(s.faults, 3);
    assert.equal(s.detected, 3);
    assert.equal(s.missed, 0);
    assert.equal(s.falseAlarms, 0);
    assert.deepEqual(s.detectionDelayMs, { count: 3, mean: 20_000, p50: 18_000, p95: 26_000, p99: 26_000, max: 26_000 });
    assert.deepEqual(s.recoveryDelayMs, { count: 3, mean: 16_333, p50: 16_000, p95: 18_000, p99: 18_000, max: 18_000 });
    assert.equal(s.byKind.down.detected, 1);
    assert.equal(s.byKind.frozen.detected, 1);
    assert.equal(s.byKind.auth.detected, 1);
    assert.equal(s.byKind.slow.faults, 0);
  });

  it('counts misses, and short faults as undetectable rather than missed', () => {
    const truth = [fault('a', 'down', 100, 200), fault('a', 'slow', 300, 305), fault('c', 'noframes', 0, 60)];
    const s = scoreVerdicts(truth, [], { toleranceMs: 1000, minDetectableMs: 30_000 });
    assert.equal(s.missed, 2);
    assert.equal(s.undetectable, 1);
    assert.equal(s.byKind.slow.undetectable, 1);
    assert.deepEqual(
      s.missedFaults.map((f) => f.camera + ':' + f.kind),
      ['a:down', 'c:noframes'],
    );
    assert.equal(s.detectionDelayMs, undefined);
  });

  it('calls outages outside any fault (with tolerance), on healthy cameras, or begun before the fault false alarms', () => {
    const truth = [fault('a', 'down', 100, 200)];
    const observed = [
      seen('a', 99.5, 210), // within the 1 s tolerance before the start: a detection
      seen('a', 250, 280), // after the fault ended (beyond tolerance)
      seen('z', 10, 20), // a camera that never had a fault
    ];
    const s = scoreVerdicts(truth, observed, { toleranceMs: 1000 });
    assert.equal(s.detected, 1);
    assert.equal(s.falseAlarms, 2);
    assert.deepEqual(
      s.falseAlarmOutages.map((o) => o.camera),
      ['a', 'z'],
    );
    const early = scoreVerdicts(truth, [seen('a', 90, 210)], { toleranceMs: 1000 });
    assert.equal(early.falseAlarms, 1, 'began 10 s before the fault');
    assert.equal(early.merged, 1, 'yet it covered the fault, which is therefore not missed');
    assert.equal(early.missed, 0);
  });

  it('a fault that begins while an earlier outage is still open is merged, not missed', () => {
    const truth = [fault('a', 'down', 100, 200), fault('a', 'slow', 230, 300), fault('a', 'auth', 600, 700)];
    const s = scoreVerdicts(truth, [seen('a', 101, 320), seen('a', 601)], { toleranceMs: 1000 });
    assert.equal(s.detected, 2);
    assert.equal(s.merged, 1);
    assert.equal(s.missed, 0);
    assert.equal(s.byKind.slow.detected, 1);
    // The open outage (no end) gives no recovery sample; the first gives 320 - 200.
    assert.deepEqual(s.recoveryDelayMs?.max, 120_000);
    assert.equal(s.recoveryDelayMs?.count, 1);
  });

  it('until: later faults are ignored, a running fault is judged by its part so far', () => {
    const truth = [fault('a', 'down', 100, 400), fault('b', 'down', 290, 400), fault('c', 'down', 500, 600)];
    const s = scoreVerdicts(truth, [seen('a', 101, undefined, 116)], { toleranceMs: 1000, minDetectableMs: 30_000, until: T + 300_000 });
    assert.equal(s.faults, 2);
    assert.equal(s.detected, 1);
    assert.equal(s.undetectable, 1, 'b ran only 10 s before the cut');
    assert.equal(s.recoveryDelayMs, undefined, 'a has not ended by the cut');
  });

  it('delayStats uses nearest-rank percentiles', () => {
    assert.equal(delayStats([]), undefined);
    const s = delayStats(Array.from({ length: 100 }, (_, i) => 100 - i));
    assert.deepEqual(s, { count: 100, mean: 51, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('observedFromOutage reads a health-tracker outage', () => {
    const o = observedFromOutage({ streamId: 'cam-0001', start: '2027-01-15T08:00:00.000Z', end: '2027-01-15T08:01:00.000Z', code: 'refused' }, 42);
    assert.deepEqual(o, { camera: 'cam-0001', start: Date.parse('2027-01-15T08:00:00Z'), end: Date.parse('2027-01-15T08:01:00Z'), detectedAt: 42, code: 'refused' });
  });
});
