import { FakeClock } from '../../../nodes/lib/util/clock.js';
import { hostKey } from '../../../nodes/lib/schedule/host.js';
import { ProbeScheduler } from '../../../nodes/lib/schedule/scheduler.js';
import type { RunInfo, SchedulerOptions } from '../../../nodes/lib/schedule/scheduler.js';

export interface TestStream {
  id: string;
  url: string;
  intervalMs: number;
  enabled: boolean;
  name?: string;
}

/** What a fake probe does: how long it takes (`Infinity`: until aborted) and its verdict. */
export interface Behaviour {
  durationMs: number;
  ok: boolean;
}

export interface StartRecord {
  id: string;
  at: number;
  info: RunInfo;
  url: string;
  /** Runs in flight (all hosts / this host) right after this one started. */
  running: number;
  runningOnHost: number;
  signal: AbortSignal;
}

/** Deterministic uniform [0, 1) (mulberry32), so spreads and jitter are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function stream(id: string, overrides: Partial<TestStream> = {}): TestStream {
  return { id, url: `rtsp://cam-${id}.test/live`, intervalMs: 15_000, enabled: true, ...overrides };
}

/** A scheduler on a FakeClock whose probes are fake and fully recorded. */
export class Harness {
  readonly clock = new FakeClock(0);
  readonly starts: StartRecord[] = [];
  readonly aborted: string[] = [];
  readonly completed: { id: string; at: number; ok: boolean }[] = [];
  behaviour: (stream: TestStream, info: RunInfo) => Behaviour = () => ({ durationMs: 0, ok: true });
  readonly scheduler: ProbeScheduler<TestStream>;
  maxRunning = 0;
  /** When true, an aborted fake probe keeps running until its duration ends (a stubborn probe). */
  ignoreAbort = false;
  private running = 0;
  private readonly perHost = new Map<string, number>();

  constructor(options: Partial<SchedulerOptions<TestStream>> = {}) {
    this.scheduler = new ProbeScheduler<TestStream>({
      run: (s, signal, info) => this.run(s, signal, info),
      clock: this.clock,
      random: seededRandom(42),
      ...options,
    });
  }

  /** Closes the scheduler while fake time runs on, so the close timeout can fire. */
  async close(): Promise<void> {
    const closed = this.scheduler.close();
    await this.clock.tick(2_000);
    await closed;
  }

  startsOf(id: string): StartRecord[] {
    return this.starts.filter((s) => s.id === id);
  }

  private run(s: TestStream, signal: AbortSignal, info: RunInfo): Promise<{ ok: boolean }> {
    const host = hostKey(s.url);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
    this.starts.push({
      id: s.id,
      at: this.clock.now(),
      info,
      url: s.url,
      running: this.running,
      runningOnHost: this.perHost.get(host) ?? 0,
      signal,
    });
    const { durationMs, ok } = this.behaviour(s, info);
    return new Promise((resolve) => {
      let finished = false;
      const done = (verdict: boolean): void => {
        if (finished) return;
        finished = true;
        this.running--;
        this.perHost.set(host, (this.perHost.get(host) ?? 1) - 1);
        this.completed.push({ id: s.id, at: this.clock.now(), ok: verdict });
        resolve({ ok: verdict });
      };
      const timer = Number.isFinite(durationMs) ? this.clock.setTimeout(() => done(ok), durationMs) : undefined;
      signal.addEventListener(
        'abort',
        () => {
          if (finished) return;
          this.aborted.push(s.id);
          if (this.ignoreAbort) return;
          if (timer !== undefined) this.clock.clearTimeout(timer);
          done(false);
        },
        { once: true },
      );
    });
  }
}
