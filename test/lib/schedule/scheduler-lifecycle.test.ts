import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeScheduler } from '../../../nodes/lib/schedule/scheduler.js';
import { FakeClock } from '../../../nodes/lib/util/clock.js';
import { Harness, stream } from './harness.js';
import type { TestStream } from './harness.js';

describe('ProbeScheduler lifecycle', () => {
  it('aborts the running probe of a removed stream and never probes it again', async () => {
    const h = new Harness();
    h.behaviour = (s) => ({ durationMs: s.id === 'gone' ? Infinity : 10, ok: true });
    h.scheduler.setStreams([stream('gone'), stream('kept')]);
    await h.clock.tick(15_000);
    const running = h.startsOf('gone');
    assert.equal(running.length, 1);
    assert.equal(running[0]?.signal.aborted, false);
    h.scheduler.setStreams([stream('kept')]);
    assert.equal(running[0]?.signal.aborted, true, 'the removed stream’s signal fired');
    assert.ok(running[0]?.signal.reason instanceof DOMException);
    await h.clock.tick(150_000);
    assert.equal(h.startsOf('gone').length, 1, 'never probed again');
    assert.ok(h.startsOf('kept').length >= 10, 'the others go on');
    assert.equal(h.scheduler.has('gone'), false);
    assert.deepEqual({ streams: h.scheduler.stats().streams, running: h.scheduler.stats().running }, { streams: 1, running: 0 });
    await h.close();
  });

  it('drops a removed stream that was waiting in the queue', async () => {
    const h = new Harness({ maxConcurrent: 1 });
    h.behaviour = () => ({ durationMs: 5_000, ok: true });
    h.scheduler.pause();
    h.scheduler.setStreams([stream('a'), stream('b')]);
    const reports = h.scheduler.probeNow();
    assert.equal(h.scheduler.stats().queued, 1);
    h.scheduler.setStreams([stream('a')]);
    assert.equal(h.scheduler.stats().queued, 0);
    await h.clock.tick(10_000);
    assert.deepEqual(
      (await reports).map((r) => [r.id, r.aborted]),
      [
        ['a', false],
        ['b', true],
      ],
    );
    assert.deepEqual(
      h.starts.map((s) => s.id),
      ['a'],
    );
    await h.close();
  });

  it('restarts a changed stream and leaves an unchanged one (even as a fresh object) alone', async () => {
    const h = new Harness({ jitter: 0 });
    h.behaviour = () => ({ durationMs: 3_000, ok: true });
    const a = stream('a', { intervalMs: 10_000 });
    const b = stream('b', { intervalMs: 10_000, name: 'Gate' });
    h.scheduler.setStreams([a, b]);
    await h.clock.tick(9_999);
    const bFirst = h.startsOf('b')[0]?.at ?? NaN;
    // Reload: a's URL changed, b is a new but equal object.
    h.scheduler.setStreams([{ ...a, url: 'rtsp://new-a.test/live' }, { ...b }]);
    assert.equal(h.starts.some((s) => s.signal.aborted && s.id === 'b'), false);
    await h.clock.tick(40_000);
    const bTimes = h.startsOf('b').map((s) => s.at);
    assert.deepEqual(
      bTimes.map((t) => Math.round(t - bFirst)),
      bTimes.map((_, k) => k * 10_000),
      'b kept its rhythm',
    );
    const newA = h.startsOf('a').filter((s) => s.url === 'rtsp://new-a.test/live');
    assert.ok(newA.length >= 3, 'a restarted with its new definition');
    assert.ok((newA[0]?.at ?? Infinity) < 9_999 + 10_000, 'first probe of the new definition within one interval');
    await h.close();
  });

  it('keeps disabled streams but does not probe them; enabling starts them, disabling aborts', async () => {
    const h = new Harness();
    h.behaviour = () => ({ durationMs: Infinity, ok: true });
    h.scheduler.setStreams([stream('off', { enabled: false })]);
    await h.clock.tick(100_000);
    assert.equal(h.starts.length, 0);
    assert.deepEqual(await h.scheduler.probeNow('off'), []);
    assert.deepEqual({ streams: h.scheduler.stats().streams, enabled: h.scheduler.stats().enabled }, { streams: 1, enabled: 0 });
    h.scheduler.setStreams([stream('off', { enabled: true })]);
    await h.clock.tick(15_000);
    assert.equal(h.starts.length, 1);
    h.scheduler.setStreams([stream('off', { enabled: false })]);
    assert.equal(h.starts[0]?.signal.aborted, true);
    await h.clock.tick(100_000);
    assert.equal(h.starts.length, 1);
    await h.close();
  });

  it('probeNow runs one stream or all at once, within the caps, and keeps the regular rhythm', async () => {
    const h = new Harness({ maxConcurrent: 3, jitter: 0 });
    h.behaviour = (s) => ({ durationMs: 1_000, ok: s.id !== 'bad' });
    h.scheduler.setStreams([...Array.from({ length: 5 }, (_, i) => stream(`s${i}`, { intervalMs: 60_000 })), stream('bad', { intervalMs: 60_000 })]);
    await h.clock.tick(10);
    const before = h.starts.length;
    const one = h.scheduler.probeNow('s1');
    await h.clock.tick(0);
    assert.equal(h.starts.at(-1)?.id, 's1');
    assert.equal(h.starts.at(-1)?.at, 10, 'started at once');
    await h.clock.tick(1_000);
    assert.deepEqual(await one, [{ id: 's1', ok: true, aborted: false }]);

    const all = h.scheduler.probeNow();
    await h.clock.tick(5_000);
    const reports = await all;
    assert.equal(reports.length, 6);
    assert.deepEqual(reports.find((r) => r.id === 'bad'), { id: 'bad', ok: false, aborted: false });
    for (const s of h.starts) assert.ok(s.running <= 3);
    assert.ok(h.starts.length - before >= 7);
    assert.deepEqual(await h.scheduler.probeNow('nope'), []);
    // After a manual run every stream still comes back within one interval.
    const mark = h.clock.now();
    await h.clock.tick(60_000);
    for (let i = 0; i < 5; i++) assert.ok(h.startsOf(`s${i}`).some((s) => s.at > mark), `s${i} still scheduled`);
    await h.close();
  });

  it('pause stops scheduled probes; resume goes on at each stream’s next slot without a burst', async () => {
    const h = new Harness();
    h.behaviour = () => ({ durationMs: 100, ok: true });
    h.scheduler.setStreams(Array.from({ length: 6_000 }, (_, i) => stream(`s${i}`)));
    await h.clock.tick(20_000);
    h.scheduler.pause();
    assert.equal(h.scheduler.stats().paused, true);
    const atPause = h.starts.length;
    await h.clock.tick(60_000);
    assert.equal(h.starts.length, atPause, 'nothing scheduled while paused');
    const resumedAt = h.clock.now();
    h.scheduler.resume();
    await h.clock.tick(15_000 * 1.05); // one interval plus the largest jitter
    const after = h.starts.slice(atPause);
    assert.equal(new Set(after.map((s) => s.id)).size, 6_000, 'every stream probed within an interval of resuming');
    const firstSecond = after.filter((s) => s.at < resumedAt + 1_000).length;
    assert.ok(firstSecond <= 1.2 * 400, `${firstSecond} probes in the first second (mean 400)`);
    await h.close();
  });

  it('close aborts every running probe, clears every timer and resolves when they settled', async () => {
    const h = new Harness();
    h.behaviour = () => ({ durationMs: Infinity, ok: true });
    h.scheduler.setStreams(Array.from({ length: 50 }, (_, i) => stream(`s${i}`)));
    await h.clock.tick(15_000);
    const running = h.starts.filter((s) => !s.signal.aborted);
    assert.ok(running.length > 0);
    await h.scheduler.close(); // settles without any clock advance: the probes honour their signal
    assert.ok(running.every((s) => s.signal.aborted));
    assert.equal(h.clock.pending, 0, 'no timer left');
    assert.equal(h.scheduler.stats().running, 0);
    h.scheduler.setStreams([stream('late')]);
    assert.deepEqual(await h.scheduler.probeNow(), []);
    await h.clock.tick(60_000);
    assert.equal(h.starts.length, running.length, 'nothing starts after close');
  });

  it('close gives up on a probe that ignores its signal after closeTimeoutMs', async () => {
    const h = new Harness({ closeTimeoutMs: 1_500 });
    h.ignoreAbort = true;
    h.behaviour = () => ({ durationMs: 3_600_000, ok: true });
    h.scheduler.setStreams([stream('stuck')]);
    await h.clock.tick(15_000);
    let closed = false;
    const closing = h.scheduler.close().then(() => (closed = true));
    await h.clock.tick(1_499);
    assert.equal(closed, false);
    await h.clock.tick(1);
    await closing;
    assert.equal(closed, true);
  });

  it('runTimeoutMs aborts a run that overstays, and a rejected run counts as a failure', async () => {
    const errors: unknown[] = [];
    const clock = new FakeClock();
    const signals: AbortSignal[] = [];
    let calls = 0;
    const scheduler = new ProbeScheduler<TestStream>({
      clock,
      random: () => 0,
      jitter: 0,
      runTimeoutMs: 5_000,
      onError: (e) => errors.push(e),
      run: (_s, signal) => {
        calls++;
        signals.push(signal);
        if (calls === 1) return Promise.reject(new Error('boom'));
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: false }), { once: true }));
      },
    });
    scheduler.setStreams([stream('a', { intervalMs: 60_000 })]);
    await clock.tick(0);
    assert.equal(calls, 1);
    assert.equal((errors[0] as Error).message, 'boom');
    await clock.tick(1_000); // a failure: retried after retryBase
    assert.equal(calls, 2);
    await clock.tick(4_999);
    assert.equal(signals[1]?.aborted, false);
    await clock.tick(1);
    assert.equal(signals[1]?.aborted, true);
    assert.equal((signals[1]?.reason as DOMException).name, 'TimeoutError');
    assert.equal(errors.length, 1, 'an abort is not reported as an error');
    await scheduler.close();
  });

  it('reports schedule lag percentiles', async () => {
    const h = new Harness({ maxConcurrent: 1 });
    const lag = (p: number): number | undefined => h.scheduler.scheduleLag().window().percentile(p);
    assert.equal(lag(50), undefined);
    h.behaviour = () => ({ durationMs: 0, ok: true });
    h.scheduler.setStreams(Array.from({ length: 20 }, (_, i) => stream(`s${i}`)));
    await h.clock.tick(30_000);
    assert.equal(lag(99), 0, 'no contention, no lag');
    // Now each probe takes 2 s with one slot: 20 streams × 2 s = 40 s of work per 15 s.
    h.behaviour = () => ({ durationMs: 2_000, ok: true });
    await h.clock.tick(120_000);
    const lagMsP50 = lag(50);
    const lagMsP99 = lag(99);
    assert.ok(lagMsP50 !== undefined && lagMsP99 !== undefined);
    assert.ok(lagMsP99 >= lagMsP50 && lagMsP99 > 10_000, `p50 ${lagMsP50} p99 ${lagMsP99}`);
    await h.close();
  });

  it('rejects duplicate ids and bad intervals without changing anything', async () => {
    const h = new Harness();
    h.scheduler.setStreams([stream('a')]);
    assert.throws(() => h.scheduler.setStreams([stream('b'), stream('b')]), /duplicate stream id "b"/);
    assert.throws(() => h.scheduler.setStreams([stream('c', { intervalMs: 0 })]), RangeError);
    assert.equal(h.scheduler.has('a'), true);
    assert.equal(h.scheduler.has('b'), false);
    assert.throws(() => new ProbeScheduler<TestStream>({ run: () => Promise.resolve({ ok: true }), maxPerHost: 0 }), RangeError);
    await h.close();
  });
});
