/**
 * An injectable clock, so code that waits (the scheduler, retries) can be tested with fake time
 * instead of real sleeps.
 */

declare const timerBrand: unique symbol;
/** Opaque: only the clock that made a handle can clear it. */
export interface TimerHandle {
  readonly [timerBrand]: true;
}

export interface Clock {
  /** Milliseconds on an epoch-like scale, for scheduling and durations (not for display). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Real time. `now()` is monotonic (`timeOrigin + performance.now()`): a wall-clock step (NTP,
 * daylight saving, a user fixing the date) must neither stall nor burst a schedule.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, Math.ceil(ms))) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Time that moves only when a test says so. Timers run in due order (ties in creation order),
 * each seeing `now()` equal to its due time; timers set by timers run in the same advance when
 * they fall due within it.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  /** Sorted by (at, seq); tests hold few timers, so a sorted array is simplest. */
  private timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = this.timers[mid];
      if (other !== undefined && other.at <= timer.at) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const index = this.timers.indexOf(handle as unknown as FakeTimer);
    if (index >= 0) this.timers.splice(index, 1);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running due timers synchronously (promises do not settle between them). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let timer = this.takeDue(target); timer; timer = this.takeDue(target)) timer.fn();
    this.current = target;
  }

  /**
   * Moves time forward by `ms` and lets promise chains settle before and after every timer, so
   * work that completes asynchronously (a probe's promise) is seen at the fake time it completed.
   */
  async tick(ms: number): Promise<void> {
    const target = this.current + ms;
    await flush();
    for (let timer = this.takeDue(target); timer; timer = this.takeDue(target)) {
      timer.fn();
      await flush();
    }
    this.current = target;
    await flush();
  }

  /** Runs timers until none is left; throws after `limit` timers (a timer loop that never ends). */
  async runAll(limit = 10_000): Promise<void> {
    await flush();
    for (let ran = 0; ; ran++) {
      const timer = this.timers.shift();
      if (!timer) return;
      if (ran >= limit) throw new Error(`FakeClock.runAll: more than ${limit} timers`);
      this.current = Math.max(this.current, timer.at);
      timer.fn();
      await flush();
    }
  }

  private takeDue(target: number): FakeTimer | undefined {
    const first = this.timers[0];
    if (first === undefined || first.at > target) return undefined;
    this.timers.shift();
    this.current = Math.max(this.current, first.at);
    return first;
  }
}

/** Lets every pending promise reaction run (a macrotask turn follows all microtasks). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
