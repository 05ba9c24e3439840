import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, systemClock } from '../../../nodes/lib/util/clock.js';

describe('FakeClock', () => {
  it('runs due timers in time order, ties in creation order, each at its own time', () => {
    const clock = new FakeClock(1000);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    const never = clock.setTimeout(() => seen.push('cleared'), 5);
    clock.clearTimeout(never);
    clock.advance(15);
    assert.deepEqual(seen, ['a@1010']);
    assert.equal(clock.now(), 1015);
    clock.advance(100);
    assert.deepEqual(seen, ['a@1010', 'b@1020', 'c@1020']);
    assert.equal(clock.pending, 0);
  });

  it('runs timers set by timers within the same advance', () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const again = (): void => {
      seen.push(clock.now());
      if (seen.length < 5) clock.setTimeout(again, 10);
    };
    clock.setTimeout(again, 10);
    clock.advance(35);
    assert.deepEqual(seen, [10, 20, 30]);
    clock.advance(100);
    assert.deepEqual(seen, [10, 20, 30, 40, 50]);
  });

  it('tick lets promises settle between timers', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => {
        seen.push(`settled@${clock.now()}`);
        clock.setTimeout(() => seen.push(`next@${clock.now()}`), 5);
      });
    }, 10);
    await clock.tick(20);
    assert.deepEqual(seen, ['settled@10', 'next@15']);
  });

  it('runAll stops a timer loop that never ends', async () => {
    const clock = new FakeClock();
    const loop = (): void => void clock.setTimeout(loop, 1);
    loop();
    await assert.rejects(clock.runAll(100), /more than 100 timers/);
  });

  it('systemClock is monotonic and its timers fire and clear', async () => {
    const a = systemClock.now();
    assert.ok(Math.abs(a - Date.now()) < 60_000, 'epoch-like');
    let fired = false;
    const cleared = systemClock.setTimeout(() => (fired = true), 1);
    systemClock.clearTimeout(cleared);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    assert.equal(fired, false);
    assert.ok(systemClock.now() >= a);
  });
});
