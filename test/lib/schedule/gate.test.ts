import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FairGate } from '../../../nodes/lib/schedule/gate.js';
import { hostKey } from '../../../nodes/lib/schedule/host.js';
import { jittered, nextNominal, retryDelay } from '../../../nodes/lib/schedule/timing.js';

interface Job {
  host: string;
  name: string;
  live: boolean;
}

describe('FairGate', () => {
  it('applies both caps, serves hosts in turn and skips dead items', () => {
    const gate = new FairGate<Job>(3, 2);
    const jobs = ['a1', 'a2', 'a3', 'a4', 'b1', 'c1', 'c2'].map((name) => ({ host: name.charAt(0), name, live: true }));
    for (const job of jobs) gate.enqueue(job);
    jobs[4]!.live = false; // b1 died while waiting
    const take = (): string | undefined => gate.takeNext((j) => j.live)?.name;
    assert.deepEqual([take(), take(), take(), take()], ['a1', 'c1', 'a2', undefined]);
    assert.equal(gate.running, 3);
    assert.equal(gate.runningOn('a'), 2);
    gate.release('a');
    assert.equal(take(), 'c2', 'c was next in turn');
    gate.release('c');
    assert.equal(take(), 'a3');
    assert.equal(take(), undefined, 'a at its host cap, global cap reached');
    gate.release('c');
    assert.equal(take(), undefined, 'a still at its host cap');
    gate.release('a');
    assert.equal(take(), 'a4');
    gate.clearQueues();
    assert.equal(gate.running, 2, 'running items (a3, a4) keep their slots');
    gate.release('a');
    gate.release('a');
    gate.release('a'); // more releases than takes: ignored
    gate.release('zzz'); // unknown host: ignored // unknown host: ignored
    assert.equal(gate.running, 0);
  });
});

describe('hostKey', () => {
  it('is hostname:port with default ports, lower-case, without credentials', () => {
    assert.equal(hostKey('rtsp://user:pw@NVR.local/ch1'), 'nvr.local:554');
    assert.equal(hostKey('rtsp://nvr.local:554/ch2'), 'nvr.local:554');
    assert.equal(hostKey('rtsp://nvr.local:8554/ch2'), 'nvr.local:8554');
    assert.equal(hostKey('rtsps://cam/x'), 'cam:322');
    assert.equal(hostKey('http://10.0.0.5/snap.jpg'), '10.0.0.5:80');
    assert.equal(hostKey('https://[::1]/x'), '[::1]:443');
    assert.equal(hostKey('not a url'), 'not a url');
  });
});

describe('timing policy', () => {
  it('nextNominal returns the first grid slot after t, at least one interval on', () => {
    assert.equal(nextNominal(0, 10, 0), 10);
    assert.equal(nextNominal(0, 10, 9.9), 10);
    assert.equal(nextNominal(0, 10, 10), 20);
    assert.equal(nextNominal(0, 10, 35), 40);
    assert.equal(nextNominal(100, 10, 50), 110);
  });

  it('jittered stays within ±jitter/2 of the interval and never before notBefore', () => {
    assert.equal(jittered(100, 10, 0.1, () => 0, 0), 99.5);
    assert.equal(jittered(100, 10, 0.1, () => 0.999999, 0).toFixed(3), '100.500');
    assert.equal(jittered(100, 10, 0.1, () => 0, 99.8), 99.8);
  });

  it('retryDelay doubles from the base and is capped at the interval', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 100].map((n) => retryDelay(n, 1000, 15_000)),
      [1000, 2000, 4000, 8000, 15_000, 15_000, 15_000],
    );
  });
});
