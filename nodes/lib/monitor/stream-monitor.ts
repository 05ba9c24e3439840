/**
 * The engine behind the stream-probe node, free of Node-RED: keeps the camera list, schedules
 * probes (../schedule), picks the evidence level (./evidence-policy), runs the probe core
 * (../probe) and turns each result into a Heartbeat with its health verdict (../health).
 */
import type { StreamConfig } from '../config/index.js';
import type { Heartbeat, ProbeResult } from '../heartbeat.js';
import { HealthTracker } from '../health/index.js';
import type { HealthOptions, HealthSnapshot, Outage } from '../health/index.js';
import { probe as probeCore } from '../probe/index.js';
import type { ProbeOptions, ProbeTarget } from '../probe/index.js';
import { ProbeScheduler } from '../schedule/index.js';
import type { RunReport } from '../schedule/index.js';
import { systemClock } from '../util/clock.js';
import type { Clock } from '../util/clock.js';
import { chooseLevel, DEFAULT_FROZEN_MIN_AGE_MS, DEFAULT_KEYFRAME_EVERY_MS, evidenceToCompare, mergeEvidence } from './evidence-policy.js';
import type { StreamMemory } from './evidence-policy.js';
import { monitorRegistry } from './registry.js';
import type { RollingHistogram } from '../util/rolling-histogram.js';

export type ProbeFunction = (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>;

export interface MonitorOptions {
  onHeartbeat: (heartbeat: Heartbeat, outage: Outage | undefined) => void;
  /** A probe threw (a bug, never a camera fault: those are results). */
  onError?: (error: unknown, stream: StreamConfig) => void;
  probe?: ProbeFunction;
  clock?: Clock;
  maxConcurrent?: number;
  maxPerHost?: number;
  health?: HealthOptions;
  keyframeEveryMs?: number;
  /** A digest younger than this (or half the stream's interval, if less) is not compared for `frozen` (default DEFAULT_FROZEN_MIN_AGE_MS). */
  frozenMinAgeMs?: number;
}

export interface MonitorSummary {
  total: number;
  online: number;
  degraded: number;
  offline: number;
  unknown: number;
  paused: boolean;
}

interface Tracked {
  stream: StreamConfig;
  tracker: HealthTracker;
  memory: StreamMemory | undefined;
}

export class StreamMonitor {
  private readonly scheduler: ProbeScheduler<StreamConfig>;
  private readonly tracked = new Map<string, Tracked>();
  private readonly probe: ProbeFunction;
  private readonly clock: Clock;
  private readonly keyframeEveryMs: number;
  private readonly frozenMinAgeMs: number;
  private isPaused = false;
  /** Saved health (from a store) for streams not tracked yet: taken when they are added. */
  private readonly restored = new Map<string, HealthSnapshot>();
  /** Aborted by close(): one-off probes (probeOnce) are not the scheduler's, so it cannot stop them. */
  private readonly closing = new AbortController();
  private readonly unregister: () => void;

  constructor(private readonly options: MonitorOptions) {
    this.probe = options.probe ?? probeCore;
    this.clock = options.clock ?? systemClock;
    this.keyframeEveryMs = options.keyframeEveryMs ?? DEFAULT_KEYFRAME_EVERY_MS;
    this.frozenMinAgeMs = options.frozenMinAgeMs ?? DEFAULT_FROZEN_MIN_AGE_MS;
    this.scheduler = new ProbeScheduler<StreamConfig>({
      run: (stream, signal) => this.runScheduled(stream, signal),
      clock: this.clock,
      ...(options.maxConcurrent !== undefined ? { maxConcurrent: options.maxConcurrent } : {}),
      ...(options.maxPerHost !== undefined ? { maxPerHost: options.maxPerHost } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
    this.unregister = monitorRegistry.register(this);
  }

  /** Applies a new camera list: added streams start, removed stop (in-flight probe aborted), changed restart. */
  setStreams(streams: readonly StreamConfig[]): void {
    const ids = new Set(streams.map((s) => s.id));
    for (const id of this.tracked.keys()) if (!ids.has(id)) this.tracked.delete(id);
    for (const stream of streams) {
      const known = this.tracked.get(stream.id);
      if (known) known.stream = stream;
      else this.tracked.set(stream.id, { stream, tracker: this.newTracker(stream.id), memory: undefined });
    }
    this.scheduler.setStreams(streams);
  }

  /**
   * Takes health saved before a restart, so `since` and streaks go on where they were. Streams
   * already probed in this run keep their live state; the others restore now or when added.
   */
  restoreHealth(snapshots: Readonly<Record<string, HealthSnapshot>>): void {
    for (const [id, snapshot] of Object.entries(snapshots)) {
      const entry = this.tracked.get(id);
      if (!entry) this.restored.set(id, snapshot);
      else if (!entry.memory) entry.tracker.restore(snapshot);
    }
  }

  /** The health trackers' state, for a store (all streams, or one). */
  healthSnapshots(id?: string): HealthSnapshot[] {
    if (id !== undefined) {
      const entry = this.tracked.get(id);
      return entry ? [entry.tracker.snapshot()] : [];
    }
    return [...this.tracked.values()].map((entry) => entry.tracker.snapshot());
  }

  has(id: string): boolean {
    return this.tracked.has(id);
  }

  /** Probes one stream (or every stream) now, within the same caps. */
  probeNow(id?: string): Promise<RunReport[]> {
    return this.scheduler.probeNow(id);
  }

  /** Probes a stream that is not in the list, once; its health starts from nothing. */
  async probeOnce(stream: StreamConfig, signal?: AbortSignal): Promise<Heartbeat> {
    const level = chooseLevel(stream.verify, undefined, this.clock.now(), this.keyframeEveryMs);
    const aborted = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    const result = await this.probe(target(stream, level), { timeoutMs: stream.timeoutMs, signal: aborted });
    const { health } = new HealthTracker(stream.id, this.options.health).update(result);
    return { ...result, health };
  }

  pause(): void {
    this.isPaused = true;
    this.scheduler.pause();
  }

  resume(): void {
    this.isPaused = false;
    this.scheduler.resume();
  }

  summary(): MonitorSummary {
    const out: MonitorSummary = { total: 0, online: 0, degraded: 0, offline: 0, unknown: 0, paused: this.isPaused };
    for (const { stream, memory } of this.tracked.values()) {
      if (!stream.enabled) continue;
      out.total++;
      out[memory?.state ?? 'unknown']++;
    }
    return out;
  }

  stats(): ReturnType<ProbeScheduler<StreamConfig>['stats']> {
    return this.scheduler.stats();
  }

  /** Schedule lag (start minus due time, ms) of the scheduled probes over the last minute. */
  scheduleLag(): RollingHistogram {
    return this.scheduler.scheduleLag();
  }

  /** Stops every timer and aborts every probe; resolves when they have settled. */
  close(): Promise<void> {
    this.closing.abort(new DOMException('the monitor was closed', 'AbortError'));
    this.unregister();
    return this.scheduler.close();
  }

  private newTracker(id: string): HealthTracker {
    const tracker = new HealthTracker(id, this.options.health);
    const snapshot = this.restored.get(id);
    if (snapshot) {
      this.restored.delete(id);
      tracker.restore(snapshot);
    }
    return tracker;
  }

  private async runScheduled(stream: StreamConfig, signal: AbortSignal): Promise<{ ok: boolean }> {
    const entry = this.tracked.get(stream.id);
    if (!entry) return { ok: true };
    const now = this.clock.now();
    const level = chooseLevel(stream.verify, entry.memory, now, this.keyframeEveryMs);
    const previous = entry.memory?.evidence;
    // Half an interval at most, so a camera probed every few seconds is still compared probe to probe.
    const compareWith = evidenceToCompare(entry.memory, now, Math.min(this.frozenMinAgeMs, stream.intervalMs / 2));
    const result = await this.probe(target(stream, level), {
      timeoutMs: stream.timeoutMs,
      signal,
      ...(compareWith ? { previous: compareWith } : {}),
    });
    // Removed or changed while the probe ran (the scheduler aborted it): the result is stale.
    if (this.tracked.get(stream.id) !== entry || signal.aborted) return { ok: result.ok };
    const { health, outage } = entry.tracker.update(result);
    entry.memory = {
      evidence: mergeEvidence(previous, result.evidence),
      lastKeyframeAt: result.evidence?.frameDigest !== undefined ? this.clock.now() : entry.memory?.lastKeyframeAt,
      state: health.state,
      failStreak: health.failStreak,
    };
    this.options.onHeartbeat({ ...result, health }, outage);
    return { ok: result.ok };
  }
}

function target(stream: StreamConfig, verify: ProbeTarget['verify']): ProbeTarget {
  return {
    url: stream.url,
    id: stream.id,
    name: stream.name,
    ...(verify ? { verify } : {}),
    ...(stream.username !== undefined ? { username: stream.username } : {}),
    ...(stream.password !== undefined ? { password: stream.password } : {}),
    transport: stream.transport,
    kind: stream.kind,
    tlsVerify: stream.tlsVerify,
  };
}
