/**
 * The Home Assistant side of a capacity run: one MQTT subscriber on `streampulse/#` and
 * `homeassistant/#` that counts what the monitor publishes and follows each camera's retained
 * state, so an outage's detection time is when a subscriber learnt of it (end to end: probe,
 * health, store, publish, broker), and `degraded` episodes (frozen picture, no frames), which
 * are not outages in the store, are seen too.
 */
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';

export type WatchedState = 'offline' | 'degraded';

export interface HealthEpisode {
  camera: string;
  state: WatchedState;
  /** `health.since` of the state: when its evidence began (ms epoch). */
  start: number;
  /** When the message announcing it arrived here. */
  detectedAt: number;
  /** `since` of the next state, once it left this one. */
  end?: number;
}

export interface MessageCounts {
  total: number;
  state: number;
  discovery: number;
  other: number;
}

const STATE_TOPIC = /^streampulse\/([a-z0-9][a-z0-9_-]*)\/state$/;

/** The parts of a state payload whose change makes the publisher send it again (mqtt/planner.ts). */
const WATCHED_FIELDS = [
  'health.state', 'code', 'health.flapping', 'lastError.code', 'lastKnown.codec', 'lastKnown.size', 'lastKnown.fps', 'lastKnown.clockSkewS',
  'uptime', 'stream',
] as const;
type WatchedField = (typeof WATCHED_FIELDS)[number];

function fieldsOf(p: Record<string, unknown>): Record<WatchedField, string> {
  const health = (p.health ?? {}) as Record<string, unknown>;
  const lastError = (p.lastError ?? {}) as Record<string, unknown>;
  const known = (p.lastKnown ?? {}) as Record<string, unknown>;
  const skew = known.clockSkewMs;
  return {
    'health.state': String(health.state),
    code: String(p.code),
    'health.flapping': String(health.flapping),
    'lastError.code': String(lastError.code),
    'lastKnown.codec': String(known.codec),
    'lastKnown.size': `${String(known.width)}x${String(known.height)}`,
    'lastKnown.fps': String(known.fps),
    // As the publisher compares it: whole seconds.
    'lastKnown.clockSkewS': typeof skew === 'number' ? String(Math.round(skew / 1000)) : 'null',
    uptime: JSON.stringify(p.uptime),
    stream: JSON.stringify(p.stream),
  };
}

export class MqttWatcher {
  private readonly counts: MessageCounts = { total: 0, state: 0, discovery: 0, other: 0 };
  private readonly current = new Map<string, { state: string; episode?: HealthEpisode }>();
  private readonly lastFields = new Map<string, Record<WatchedField, string>>();
  /** Why each state message was sent: the first watched field that differs from the camera's previous one. */
  private readonly why: Record<string, number> = {};
  private readonly closed: HealthEpisode[] = [];
  private badPayloads = 0;

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  static start(url: string, timeoutMs = 10_000): Promise<MqttWatcher> {
    // QoS 1 (the monitor publishes at QoS 1): the broker may not drop a message we count.
    const client = connect(url, { protocolVersion: 5, clean: true, reconnectPeriod: 500, connectTimeout: 5_000 });
    client.on('error', () => undefined); // reconnects by itself; a dead broker shows as missing counts
    const watcher = new MqttWatcher(client);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        client.end(true);
        reject(new Error(`MQTT watcher could not subscribe at ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      client.once('connect', () => {
        client.subscribe(['streampulse/#', 'homeassistant/#'], { qos: 1 }, (err) => {
          clearTimeout(timer);
          if (err) {
            client.end(true);
            reject(err);
          } else resolve(watcher);
        });
      });
    });
  }

  /** Messages received so far (a copy). */
  snapshot(): MessageCounts {
    return { ...this.counts };
  }

  /** Every offline/degraded episode seen, open ones last. */
  episodes(): HealthEpisode[] {
    const open = [...this.current.values()].flatMap((c) => (c.episode ? [{ ...c.episode }] : []));
    return [...this.closed.map((e) => ({ ...e })), ...open];
  }

  /** State messages by the field that changed since the camera's previous one ('first', 'none': a refresh). */
  reasons(): Record<string, number> {
    return { ...this.why };
  }

  get malformed(): number {
    return this.badPayloads;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.client.end(true, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const at = Date.now();
    this.counts.total++;
    const match = STATE_TOPIC.exec(topic);
    if (topic.startsWith('homeassistant/')) this.counts.discovery++;
    else if (match && match[1] !== '_hub') this.counts.state++;
    else this.counts.other++;
    if (!match || match[1] === '_hub' || payload.length === 0) return;
    const camera = match[1] as string;
    let state: string;
    let since: number;
    try {
      const parsed = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      const health = parsed.health as { state?: unknown; since?: unknown } | undefined;
      state = String(health?.state);
      since = Date.parse(String(health?.since));
      if (!Number.isFinite(since)) throw new Error('no since');
      const fields = fieldsOf(parsed);
      const before = this.lastFields.get(camera);
      const reason = before ? (WATCHED_FIELDS.find((f) => fields[f] !== before[f]) ?? 'none') : 'first';
      this.why[reason] = (this.why[reason] ?? 0) + 1;
      this.lastFields.set(camera, fields);
    } catch {
      this.badPayloads++;
      return;
    }
    const known = this.current.get(camera);
    if (known?.state === state) return;
    if (known?.episode) this.closed.push({ ...known.episode, end: since });
    const next: { state: string; episode?: HealthEpisode } = { state };
    if (state === 'offline' || state === 'degraded') next.episode = { camera, state, start: since, detectedAt: at };
    this.current.set(camera, next);
  }
}
