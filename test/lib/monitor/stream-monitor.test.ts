/**
 * The monitor engine with real probes against the fake camera: evidence level per probe,
 * health verdicts, frozen detection across probes, list changes and close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StreamConfig } from '../../../nodes/lib/config/index.js';
import type { Heartbeat } from '../../../nodes/lib/heartbeat.js';
import type { Outage } from '../../../nodes/lib/health/index.js';
import { chooseLevel, evidenceToCompare, mergeEvidence } from '../../../nodes/lib/monitor/evidence-policy.js';
import { StreamMonitor } from '../../../nodes/lib/monitor/stream-monitor.js';
import { startFakeCamera } from '../../fixtures/fake-camera.js';
import type { FakeCamera } from '../../fixtures/fake-camera.js';

function stream(id: string, url: string, extra: Partial<StreamConfig> = {}): StreamConfig {
  return { id, name: id, url, intervalMs: 300, timeoutMs: 2000, verify: 'auto', enabled: true, transport: 'auto', kind: 'auto', tags: [], tlsVerify: false, ...extra };
}

/** Collects heartbeats until `count` arrived for `id` (bounded). */
function collect(monitorBeats: Heartbeat[], id: string, count: number, timeoutMs = 10_000): Promise<Heartbeat[]> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      const mine = monitorBeats.filter((b) => b.stream.id === id);
      if (mine.length >= count) return resolve(mine.slice(0, count));
      if (Date.now() - started > timeoutMs) return reject(new Error(`only ${mine.length}/${count} heartbeats for ${id}`));
      setTimeout(check, 20);
    };
    check();
  });
}

function waitFor(beats: Heartbeat[], match: (b: Heartbeat) => boolean, timeoutMs = 10_000): Promise<Heartbeat> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = beats.find(match);
      if (found) return resolve(found);
      if (Date.now() - started > timeoutMs) return reject(new Error('no matching heartbeat'));
      setTimeout(check, 20);
    };
    check();
  });
}

describe('evidence policy', () => {
  it('auto: keyframe first, after trouble and every keyframeEveryMs; packet in between', () => {
    assert.equal(chooseLevel('auto', undefined, 0, 1000), 'keyframe');
    const online = { state: 'online' as const, failStreak: 0, lastKeyframeAt: 0 };
    assert.equal(chooseLevel('auto', online, 500, 1000), 'packet');
    assert.equal(chooseLevel('auto', online, 1000, 1000), 'keyframe');
    assert.equal(chooseLevel('auto', { ...online, failStreak: 1 }, 10, 1000), 'keyframe');
    assert.equal(chooseLevel('auto', { ...online, state: 'degraded' }, 10, 1000), 'keyframe');
    assert.equal(chooseLevel('packet', undefined, 0, 1000), 'packet');
    assert.equal(chooseLevel('decode', online, 10, 1000), 'decode');
  });
  it('keeps the last keyframe digest across packet-level probes', () => {
    const key = { level: 'keyframe' as const, mediaBytes: 10, frameDigest: 'abc' };
    const packet = { level: 'packet' as const, mediaBytes: 1 };
    assert.deepEqual(mergeEvidence(key, packet), { level: 'packet', mediaBytes: 1, frameDigest: 'abc' });
    assert.deepEqual(mergeEvidence(key, { ...key, frameDigest: 'def' })?.frameDigest, 'def');
    assert.equal(mergeEvidence(key, undefined), key);
  });
  it('compares with a digest only once it is old enough (a GOP cache resends the same keyframe)', () => {
    const memory = { state: 'online' as const, failStreak: 0, lastKeyframeAt: 1000, evidence: { level: 'keyframe' as const, mediaBytes: 10, frameDigest: 'abc' } };
    assert.deepEqual(evidenceToCompare(memory, 1999, 1000), { level: 'keyframe', mediaBytes: 10 });
    assert.equal(evidenceToCompare(memory, 2000, 1000)?.frameDigest, 'abc');
    const hls = { state: 'online' as const, failStreak: 0, evidence: { level: 'packet' as const, mediaBytes: 1, hlsSequence: { value: 7, firstSeen: 'x' } } };
    assert.deepEqual(evidenceToCompare(hls, 0, 1000), hls.evidence, 'HLS sequence is always passed on');
    assert.equal(evidenceToCompare(undefined, 0, 1000), undefined);
  });
});

describe('StreamMonitor with real probes', () => {
  let cam: FakeCamera;
  before(async () => {
    cam = await startFakeCamera({ startOnKeyframe: true });
  });
  after(async () => {
    await cam?.close();
  });

  it('probes on schedule: keyframe first, then packets; failures go offline after 2 and outages end', async () => {
    const beats: Heartbeat[] = [];
    const outages: Outage[] = [];
    const monitor = new StreamMonitor({
      onHeartbeat: (b, o) => {
        beats.push(b);
        if (o) outages.push(o);
      },
    });
    try {
      monitor.setStreams([stream('good', cam.url('/ok')), stream('bad', cam.url('/status-404'))]);
      const good = await collect(beats, 'good', 3);
      assert.deepEqual(good.map((b) => b.evidence?.level), ['keyframe', 'packet', 'packet']);
      assert.deepEqual(good.map((b) => b.health.state), ['online', 'online', 'online']);
      assert.equal(good[0]?.health.changed, true);
      assert.equal(good[1]?.health.changed, false);
      const bad = await collect(beats, 'bad', 2);
      assert.deepEqual(bad.map((b) => b.code), ['not_found', 'not_found']);
      assert.deepEqual(bad.map((b) => b.health.state), ['unknown', 'offline']);
      assert.equal(bad[1]?.health.since, bad[0]?.ts, 'offline since the first failure');
      assert.deepEqual(monitor.summary(), { total: 2, online: 1, degraded: 0, offline: 1, unknown: 0, paused: false });
      // The camera comes back under the same id: the outage ends with a record.
      monitor.setStreams([stream('good', cam.url('/ok')), stream('bad', cam.url('/ok'))]);
      const back = await waitFor(beats, (b) => b.stream.id === 'bad' && b.code === 'ok');
      assert.equal(back?.code, 'ok');
      assert.equal(back?.health.state, 'online');
      assert.equal(back?.health.changed, true);
      assert.equal(outages.length, 1);
      assert.equal(outages[0]?.streamId, 'bad');
      assert.equal(outages[0]?.code, 'not_found');
      assert.equal(outages[0]?.start, bad[0]?.ts);
    } finally {
      await monitor.close();
    }
  });

  it('frozen: a repeated keyframe makes the stream degraded (compared after half the 300 ms interval, not 10 s)', async () => {
    const beats: Heartbeat[] = [];
    const monitor = new StreamMonitor({ keyframeEveryMs: 0, onHeartbeat: (b) => beats.push(b) });
    try {
      monitor.setStreams([stream('still', cam.url('/frozen'))]);
      const [first, second] = await collect(beats, 'still', 2);
      assert.equal(first?.code, 'ok');
      assert.equal(second?.code, 'frozen');
      assert.equal(second?.health.state, 'degraded');
    } finally {
      await monitor.close();
    }
  });

  it('frozen: the same keyframe again within frozenMinAgeMs (a GOP cache) is not called frozen', async () => {
    const beats: Heartbeat[] = [];
    const monitor = new StreamMonitor({ frozenMinAgeMs: 10_000, onHeartbeat: (b) => beats.push(b) });
    try {
      monitor.setStreams([stream('cached', cam.url('/frozen'), { intervalMs: 60_000, verify: 'keyframe' })]);
      await monitor.probeNow('cached');
      await monitor.probeNow('cached');
      const all = await collect(beats, 'cached', 2);
      assert.deepEqual(all.map((b) => b.code), ['ok', 'ok'], 'two probes a moment apart got the same keyframe');
      assert.equal(all[1]?.evidence?.frameDigest, all[0]?.evidence?.frameDigest);
    } finally {
      await monitor.close();
    }
  });

  it('removing a stream stops it; close aborts in-flight probes quickly', async () => {
    const beats: Heartbeat[] = [];
    const monitor = new StreamMonitor({ onHeartbeat: (b) => beats.push(b) });
    monitor.setStreams([stream('quiet', cam.url('/silent'), { timeoutMs: 5000, intervalMs: 100 }), stream('gone', cam.url('/ok'))]);
    await collect(beats, 'gone', 1);
    monitor.setStreams([stream('quiet', cam.url('/silent'), { timeoutMs: 5000, intervalMs: 100 })]);
    const before = beats.filter((b) => b.stream.id === 'gone').length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.ok(beats.filter((b) => b.stream.id === 'gone').length <= before + 1, 'at most one in-flight heartbeat after removal');
    const started = performance.now();
    await monitor.close();
    assert.ok(performance.now() - started < 2000, 'closed within 2 s');
    assert.equal(beats.filter((b) => b.stream.id === 'quiet').length, 0, 'aborted probes emit nothing');
    await cam.whenIdle(2000);
  });

  it('probeOnce checks a stream outside the list', async () => {
    const monitor = new StreamMonitor({ onHeartbeat: () => assert.fail('no scheduled heartbeat expected') });
    try {
      const beat = await monitor.probeOnce(stream('adhoc', cam.url('/ok'), { verify: 'packet' }));
      assert.equal(beat.code, 'ok');
      assert.equal(beat.health.state, 'online');
    } finally {
      await monitor.close();
    }
  });
});
