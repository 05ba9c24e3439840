/**
 * What to publish, and in which order, for each thing that happens: connecting, a heartbeat, a
 * new camera list, Home Assistant restarting, retained discovery found on the broker, time
 * passing, closing. Pure: it returns messages and never touches a socket, so the connection
 * (link.ts) stays a dumb pipe and every sequence can be tested message by message.
 */
import type { HealthState, Heartbeat, Protocol } from '../heartbeat.js';
import { systemClock } from '../util/clock.js';
import { cameraDiscoveryMessage, hubDiscoveryMessage, removalMessage } from './discovery.js';
import type { OriginInfo } from './discovery.js';
import { retained } from './message.js';
import type { PublishMessage, RetainedMessage } from './message.js';
import { countStates, hubStateJson, rememberHeartbeat, streamStateJson } from './state.js';
import type { StreamMemory, UptimeStats } from './state.js';
import {
  bridgeTopic,
  bridgeWill,
  cameraDeviceId,
  deviceIdOfDiscoveryTopic,
  hubDeviceId,
  hubStateTopic,
  isOurDiscovery,
  stateTopic,
  streamIdOfDeviceId,
  streamIdProblem,
} from './topics.js';
import type { MqttNaming } from './topics.js';

export const DEFAULT_REFRESH_MS = 5 * 60_000;
export const DEFAULT_HUB_INTERVAL_MS = 60_000;

/** A camera of the list (a StreamConfig fits). */
export interface CameraInfo {
  id: string;
  name: string;
  area?: string;
}

export interface PlannerOptions {
  naming: MqttNaming;
  origin: OriginInfo;
  /** Re-publish a stream's state at least this often while heartbeats arrive (default 5 min). */
  refreshMs?: number;
  /** How often the hub's state (counts, probes per minute) is published (default 1 min). */
  hubIntervalMs?: number;
  /** Milliseconds on an epoch scale; the hub's `ts` is derived from it. */
  clock?: { now(): number };
  /**
   * Without a camera list (heartbeats from MQTT or another flow), a stream is announced on its
   * first heartbeat instead of being ignored; nothing is then ever cleared as stale.
   */
  learnStreams?: boolean;
}

interface Tracked {
  camera: CameraInfo;
  protocol?: Protocol;
  last?: Heartbeat;
  memory?: StreamMemory;
  /** Device description last announced (name, area, protocol, codec). */
  announced?: string;
  /** What the last published state said, to publish on change only. */
  publishedSignature?: string;
  publishedAt?: number;
  publishedHealth?: string;
}

export class PublishPlanner {
  readonly naming: MqttNaming;
  private readonly origin: OriginInfo;
  private readonly refreshMs: number;
  private readonly hubIntervalMs: number;
  private readonly clock: { now(): number };
  private readonly learnStreams: boolean;
  private readonly tracked = new Map<string, Tracked>();
  private readonly skippedIds = new Map<string, string>();
  private started = false;
  private storeBytes: number | null = null;
  private probesInWindow = 0;
  private windowStart = 0;
  private probesPerMinute: number | null = null;

  constructor(options: PlannerOptions) {
    this.naming = options.naming;
    this.origin = options.origin;
    this.refreshMs = positiveOr(options.refreshMs, DEFAULT_REFRESH_MS);
    this.hubIntervalMs = positiveOr(options.hubIntervalMs, DEFAULT_HUB_INTERVAL_MS);
    this.clock = options.clock ?? systemClock;
    this.learnStreams = options.learnStreams ?? false;
  }

  /** Streams left out of MQTT (id → why): an id unfit for topics, or too long once `<site>_` is put in front. */
  get skipped(): ReadonlyMap<string, string> {
    return this.skippedIds;
  }

  /** The Last Will to register with the broker. */
  will(): PublishMessage {
    return bridgeWill(this.naming);
  }

  /** Connected (or reconnected): bridge online, all discovery, every known state, the hub's state. */
  start(streams: readonly CameraInfo[]): PublishMessage[] {
    // Learning from heartbeats, the streams seen so far are the list.
    if (!this.learnStreams) this.replaceList(streams);
    if (!this.started) {
      this.started = true;
      this.windowStart = this.clock.now();
      this.probesInWindow = 0;
    }
    return [retained(bridgeTopic(this.naming), 'online'), ...this.announceAll()];
  }

  /** Home Assistant restarted (birth message): discovery first, so the states find their entities. */
  homeAssistantOnline(): PublishMessage[] {
    return this.started ? this.announceAll() : [];
  }

  /**
   * A heartbeat: its state when something that matters changed, or when the last publish is
   * `refreshMs` old; a discovery update first when the probe learned a new protocol or codec.
   * Heartbeats of streams not in the list are ignored (a just-removed stream must stay removed).
   */
  heartbeat(hb: Heartbeat, uptime?: UptimeStats): PublishMessage[] {
    const t = this.tracked.get(hb.stream.id) ?? this.learn(hb);
    if (t === undefined) return [];
    this.probesInWindow++;
    t.protocol = hb.stream.protocol;
    t.last = hb;
    t.memory = rememberHeartbeat(t.memory, hb, uptime);
    if (!this.started) return [];
    const out: PublishMessage[] = [];
    if (t.announced !== deviceSignature(t)) out.push(this.discoveryOf(t));
    const now = this.clock.now();
    const due = t.publishedAt === undefined || now - t.publishedAt >= this.refreshMs;
    if (due || t.publishedSignature !== stateSignature(hb, t.memory)) out.push(this.stateOf(t, hb, t.memory, now));
    return out;
  }

  /** A new camera list: removed cameras are cleared from Home Assistant and the broker, new or renamed ones announced. */
  setStreams(streams: readonly CameraInfo[]): PublishMessage[] {
    const before = new Map(this.tracked);
    this.replaceList(streams);
    if (!this.started) return [];
    const out: PublishMessage[] = [];
    for (const id of before.keys()) {
      if (!this.tracked.has(id)) out.push(...this.clearCamera(cameraDeviceId(this.naming, id), id));
    }
    let membershipChanged = out.length > 0;
    for (const t of this.tracked.values()) {
      if (!before.has(t.camera.id)) membershipChanged = true;
      if (t.announced !== deviceSignature(t)) out.push(this.discoveryOf(t));
    }
    if (membershipChanged) out.push(this.hubState());
    return out;
  }

  /**
   * Retained discovery found under `<prefix>/device/+/config`: clears (config and state) every
   * device this instance published earlier that is no longer in the list. Anything published by
   * another integration or another site is left alone (topics.ts isOurDiscovery).
   */
  staleDiscovery(found: readonly RetainedMessage[]): PublishMessage[] {
    // Learning from heartbeats, the list is never complete: nothing may be called stale.
    if (!this.started || this.learnStreams) return [];
    const current = new Set([hubDeviceId(this.naming), ...[...this.tracked.keys()].map((id) => cameraDeviceId(this.naming, id))]);
    const out: PublishMessage[] = [];
    for (const { topic, payload } of found) {
      const deviceId = deviceIdOfDiscoveryTopic(this.naming, topic);
      if (deviceId === undefined || current.has(deviceId) || !isOurDiscovery(topic, payload, this.naming)) continue;
      current.add(deviceId); // the same topic twice in `found` is cleared once
      out.push(...this.clearCamera(deviceId, streamIdOfDeviceId(this.naming, deviceId)));
    }
    return out;
  }

  /** Time passed: the hub's state when it is due. */
  tick(now: number = this.clock.now()): PublishMessage[] {
    if (!this.started) return [];
    const elapsed = now - this.windowStart;
    if (elapsed < this.hubIntervalMs) return [];
    this.probesPerMinute = (this.probesInWindow * 60_000) / elapsed;
    this.probesInWindow = 0;
    this.windowStart = now;
    return [this.hubState(now)];
  }

  /** Bytes of the heartbeat store, for the hub's next state. */
  setStoreBytes(bytes: number | null): void {
    this.storeBytes = bytes !== null && Number.isFinite(bytes) && bytes >= 0 ? bytes : null;
  }

  /** Closing cleanly: the bridge says `offline` itself (the Last Will covers unclean ends). */
  close(): PublishMessage[] {
    if (!this.started) return [];
    this.started = false;
    return [retained(bridgeTopic(this.naming), 'offline')];
  }

  private announceAll(): PublishMessage[] {
    const out: PublishMessage[] = [hubDiscoveryMessage(this.naming, this.origin)];
    for (const t of this.tracked.values()) out.push(this.discoveryOf(t));
    const now = this.clock.now();
    for (const t of this.tracked.values()) {
      if (t.last !== undefined && t.memory !== undefined) out.push(this.stateOf(t, t.last, t.memory, now, false));
    }
    out.push(this.hubState(now));
    return out;
  }

  private learn(hb: Heartbeat): Tracked | undefined {
    if (!this.learnStreams) return undefined;
    const problem = streamIdProblem(hb.stream.id, this.naming);
    if (problem !== undefined) {
      this.skippedIds.set(hb.stream.id, problem);
      return undefined;
    }
    const t: Tracked = { camera: { id: hb.stream.id, name: hb.stream.name } };
    this.tracked.set(hb.stream.id, t);
    return t;
  }

  private replaceList(streams: readonly CameraInfo[]): void {
    const next = new Map<string, Tracked>();
    this.skippedIds.clear();
    for (const camera of streams) {
      const problem = streamIdProblem(camera.id, this.naming) ?? (next.has(camera.id) ? `stream id "${camera.id}" appears twice` : undefined);
      if (problem !== undefined) {
        this.skippedIds.set(camera.id, problem);
        continue;
      }
      const known = this.tracked.get(camera.id);
      const info: CameraInfo = { id: camera.id, name: camera.name, ...(camera.area !== undefined ? { area: camera.area } : {}) };
      next.set(camera.id, known ? { ...known, camera: info } : { camera: info });
    }
    this.tracked.clear();
    for (const [id, t] of next) this.tracked.set(id, t);
  }

  private discoveryOf(t: Tracked): PublishMessage {
    t.announced = deviceSignature(t);
    const camera = { ...t.camera, codec: t.memory?.lastKnown.codec ?? null, ...(t.protocol ? { protocol: t.protocol } : {}) };
    return cameraDiscoveryMessage(this.naming, camera, this.origin);
  }

  /** `change` marks a new health state (or flapping verdict): a queue must deliver every one. */
  private stateOf(t: Tracked, hb: Heartbeat, memory: StreamMemory, now: number, mayBeChange = true): PublishMessage {
    const health = `${hb.health.state}${hb.health.flapping ? '/flapping' : ''}`;
    const change = mayBeChange && health !== t.publishedHealth;
    t.publishedSignature = stateSignature(hb, memory);
    t.publishedAt = now;
    t.publishedHealth = health;
    // The site goes into the document too: a central store keys it by `<site>_<id>` (state.ts).
    const message = retained(stateTopic(this.naming, t.camera.id), streamStateJson(hb, memory, this.naming.site));
    return change ? { ...message, change: true } : message;
  }

  private hubState(now: number = this.clock.now()): PublishMessage {
    const states: HealthState[] = [...this.tracked.values()].map((t) => t.last?.health.state ?? 'unknown');
    const json = hubStateJson({
      ts: new Date(now).toISOString(),
      streams: countStates(states),
      probesPerMinute: this.probesPerMinute,
      storeBytes: this.storeBytes,
    });
    return retained(hubStateTopic(this.naming), json);
  }

  /** Empty retained config and state: Home Assistant drops the device, the broker forgets both. */
  private clearCamera(deviceId: string, streamId: string | undefined): PublishMessage[] {
    const out = [removalMessage(this.naming, deviceId)];
    if (streamId !== undefined) out.push(retained(stateTopic(this.naming, streamId), ''));
    return out;
  }
}

function deviceSignature(t: Tracked): string {
  return JSON.stringify([t.camera.name, t.camera.area ?? null, t.protocol ?? null, t.memory?.lastKnown.codec ?? null]);
}

/**
 * What makes a state worth publishing before the refresh is due. Left out on purpose: latency,
 * timings, message wording and last-seen time, which change on every probe; the clock skew
 * counts in whole seconds and uptime in tenths of a percent for the same reason.
 */
function stateSignature(hb: Heartbeat, memory: StreamMemory): string {
  const k = memory.lastKnown;
  return JSON.stringify([
    hb.stream.name,
    hb.stream.url,
    hb.stream.protocol,
    hb.ok,
    hb.code,
    hb.health.state,
    hb.health.flapping,
    memory.lastError?.code ?? null,
    [k.codec, k.width, k.height, k.fps, k.clockSkewMs === null ? null : Math.round(k.clockSkewMs / 1000)],
    [memory.uptime.h24, memory.uptime.d7, memory.uptime.d30].map((u) => (u === null ? null : Math.round(u * 10))),
  ]);
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
