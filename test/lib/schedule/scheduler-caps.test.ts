import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, stream } from './harness.js';
import type { TestStream } from './harness.js';

/** `count` cameras behind one NVR (one hostname:port). */
function nvr(name: string, count: number, overrides: Partial<TestStream> = {}): TestStream[] {
  return Array.from({ length: count }, (_, i) =>
    // Half the URLs spell the default port out: both must count against the same host.
    stream(`${name}-${i}`, { url: `rtsp://${name}.test${i % 2 ? ':554' : ''}/ch${i}`, ...overrides }),
  );
}

describe('ProbeScheduler caps', () => {
  it('never runs more than maxConcurrent probes, and queued work proceeds as slots free', async () => {
    const h = new Harness({ maxConcurrent: 10 });
    h.behaviour = () => ({ durationMs: 2_000, ok: true });
    // 300 streams × 2 s every 5 s want 120 slots: most probes must queue.
    h.scheduler.setStreams(Array.from({ length: 300 }, (_, i) => stream(`s${i}`, { intervalMs: 5_000 })));
    let sawQueue = false;
    for (let t = 0; t < 60; t++) {
      await h.clock.tick(1_000);
      const stats = h.scheduler.stats();
      assert.ok(stats.running <= 10, `running ${stats.running}`);
      if (stats.queued > 0) sawQueue = true;
    }
    assert.ok(sawQueue, 'the cap was actually binding');
    for (const s of h.starts) assert.ok(s.running <= 10, `${s.running} probes running at ${s.at}`);
    assert.equal(h.maxRunning, 10, 'the cap is used fully');
    // 10 slots × 60 s / 2 s per probe = 300 probes: the queue keeps the slots busy.
    assert.ok(h.starts.length >= 290, `${h.starts.length} probes in 60 s`);
    assert.equal(new Set(h.starts.map((s) => s.id)).size, 300, 'every stream got its turn');
    await h.close();
  });

  it('never runs more than maxPerHost probes against one host (default port or not)', async () => {
    const h = new Harness({ maxPerHost: 2 });
    h.behaviour = () => ({ durationMs: 3_000, ok: true });
    h.scheduler.setStreams([...nvr('nvr-a', 20), ...nvr('nvr-b', 20), ...nvr('nvr-c', 20)]);
    await h.clock.tick(60_000);
    for (const s of h.starts) assert.ok(s.runningOnHost <= 2, `${s.runningOnHost} on ${s.url}`);
    assert.equal(h.maxRunning, 6, 'each host used its two slots');
    assert.ok(h.starts.length >= 3 * 2 * 19, `${h.starts.length} probes`); // 2 slots × 60 s / 3 s per host
    await h.close();
  });

  it('a host blocked by its cap does not hold up other hosts', async () => {
    const h = new Harness({ maxPerHost: 2, maxConcurrent: 64 });
    h.behaviour = (s) => ({ durationMs: s.id.startsWith('nvr') ? 5_000 : 100, ok: true });
    // The NVR's 100 cameras want far more than its 2 slots and build a long queue.
    h.scheduler.setStreams([...nvr('nvr', 100, { intervalMs: 10_000 }), ...Array.from({ length: 20 }, (_, i) => stream(`cam${i}`, { intervalMs: 10_000 }))]);
    await h.clock.tick(60_000);
    const nvrLag = Math.max(...h.starts.filter((s) => s.id.startsWith('nvr')).map((s) => s.info.startedAt - s.info.scheduledAt));
    assert.ok(nvrLag > 10_000, `the NVR queue is long (max lag ${nvrLag})`);
    const others = h.starts.filter((s) => s.id.startsWith('cam'));
    assert.ok(others.length >= 20 * 5);
    for (const s of others) assert.equal(s.info.startedAt - s.info.scheduledAt, 0, `${s.id} waited behind the NVR`);
    await h.close();
  });

  it('hosts take turns when the global cap binds', async () => {
    const h = new Harness({ maxPerHost: 5, maxConcurrent: 2 });
    h.behaviour = () => ({ durationMs: 1_000, ok: true });
    h.scheduler.pause(); // only the manual runs below
    h.scheduler.setStreams([...nvr('a', 10, { intervalMs: 600_000 }), ...nvr('b', 10, { intervalMs: 600_000 })]);
    const done = h.scheduler.probeNow();
    await h.clock.tick(20_000);
    const reports = await done;
    assert.equal(reports.length, 20);
    const hosts = h.starts.map((s) => s.id.charAt(0)).join('');
    assert.equal(hosts, 'ab'.repeat(10), 'round robin, not one host draining first');
    await h.close();
  });

  it('never runs two probes of the same stream at once', async () => {
    const h = new Harness({ jitter: 0 });
    h.behaviour = () => ({ durationMs: 25_000, ok: true });
    h.scheduler.setStreams([stream('a', { intervalMs: 10_000 })]);
    await h.clock.tick(10_000);
    assert.equal(h.starts.length, 1);
    const manual = await h.scheduler.probeNow('a');
    assert.deepEqual(manual, [], 'a running stream is not probed again');
    assert.equal(h.starts.length, 1);
    await h.clock.tick(100_000);
    const starts = h.startsOf('a');
    const ends = h.completed.filter((c) => c.id === 'a');
    for (let i = 1; i < starts.length; i++) {
      assert.ok((starts[i]?.at ?? 0) >= (ends[i - 1]?.at ?? Infinity), `probe ${i} started before probe ${i - 1} ended`);
    }
    await h.close();
  });

  it('a changed stream waits until the aborted probe of its old definition has settled', async () => {
    const h = new Harness({ jitter: 0 });
    h.ignoreAbort = true; // the old probe takes its time to stop
    h.behaviour = () => ({ durationMs: 20_000, ok: true });
    const before = stream('a', { intervalMs: 5_000 });
    h.scheduler.setStreams([before]);
    await h.clock.tick(5_000);
    assert.equal(h.starts.length, 1);
    h.scheduler.setStreams([{ ...before, url: 'rtsp://moved.test/live' }]);
    assert.equal(h.starts[0]?.signal.aborted, true);
    await h.clock.tick(40_000);
    const oldEnd = h.completed[0]?.at ?? Infinity;
    const moved = h.starts.filter((s) => s.url === 'rtsp://moved.test/live');
    assert.ok(moved.length > 0, 'the new definition is probed');
    assert.ok((moved[0]?.at ?? 0) >= oldEnd, `new probe at ${moved[0]?.at}, old ended at ${oldEnd}`);
    await h.close();
  });

  it('changed twice while the first aborted probe winds down, it still waits for that probe', async () => {
    const h = new Harness({ jitter: 0 });
    h.ignoreAbort = true;
    h.behaviour = () => ({ durationMs: 20_000, ok: true });
    const v1 = stream('a', { intervalMs: 5_000 });
    h.scheduler.setStreams([v1]);
    await h.clock.tick(5_000);
    h.scheduler.setStreams([{ ...v1, url: 'rtsp://v2.test/live' }]);
    h.scheduler.setStreams([{ ...v1, url: 'rtsp://v3.test/live' }]);
    await h.clock.tick(40_000);
    const oldEnd = h.completed[0]?.at ?? Infinity;
    const v3 = h.starts.filter((s) => s.url === 'rtsp://v3.test/live');
    assert.ok(v3.length > 0);
    assert.ok((v3[0]?.at ?? 0) >= oldEnd, `v3 started at ${v3[0]?.at}, v1 ended at ${oldEnd}`);
    assert.equal(h.starts.filter((s) => s.url === 'rtsp://v2.test/live').length, 0);
    await h.close();
  });
});
