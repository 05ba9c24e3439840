/**
 * The health-publish node's connection to the MQTT broker (mqtt.js underneath).
 *
 * - `publish()` only queues (see outbox.ts) and returns: a broker that is down, slow or refusing
 *   never slows the caller. A pump hands queued messages to mqtt.js while connected, at most
 *   `inflightWindow` unacknowledged at a time, so a slow broker fills the bounded outbox (where
 *   latest-wins messages coalesce) instead of unbounded client memory.
 * - Availability: Last Will `offline` (retained, QoS 1), `online` (retained, QoS 1) on every
 *   (re)connect before anything else, `offline` again on `close()`.
 * - Reconnects with a doubling delay (1 s → 30 s) and tells `onError` each distinct problem once per
 *   outage, not once per attempt.
 * - Subscriptions are re-sent on every connect (the session is clean), which also makes the broker
 *   re-send retained messages: `homeassistant/status` = `online` after a broker restart triggers a
 *   re-announce, which is what a broker that lost its retained discovery needs.
 */
import { EventEmitter } from 'node:events';
import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { redactText } from '../util/redact.js';
import { describeBroker, toClientOptions } from './broker-options.js';
import type { BrokerSettings } from './broker-options.js';
import { Outbox } from './outbox.js';
import type { MqttMessage, OutboxEntry, OutboxStats } from './outbox.js';

export type LinkState = 'connecting' | 'connected' | 'disconnected';

export interface LinkStatus {
  state: LinkState;
  /** ISO-8601 time the state was entered. */
  since: string;
  /** The broker URL with the user name, never the password. */
  broker: string;
  /** The latest problem since the last successful connect, password-free. */
  lastError?: string;
  outbox: OutboxStats;
  /** Messages handed to the broker and not yet acknowledged. */
  inflight: number;
}

export interface MqttLinkOptions {
  broker: BrokerSettings;
  /** Bridge availability topic, e.g. `streampulse/status`. */
  availabilityTopic: string;
  outboxLimit?: number;
  /** Reconnect delay: starts at `initialMs` (1 s), doubles per failed attempt up to `maxMs` (30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long one connection attempt may take up to the CONNACK (10 s). */
  connectTimeoutMs?: number;
  /** Bound on `close()` (2 s). */
  closeTimeoutMs?: number;
  /** Most unacknowledged messages handed to mqtt.js at once (100). */
  inflightWindow?: number;
  /** Each distinct problem once per outage (and publish/subscribe failures); password-free. */
  onError?: (message: string) => void;
  /** A queued message dropped because the outbox was full. */
  onDrop?: (entry: OutboxEntry) => void;
}

export interface MqttLinkEvents {
  connect: [];
  disconnect: [reason: string | undefined];
}

export type MessageHandler = (topic: string, payload: Buffer, info: { retain: boolean }) => void;

interface Collector {
  pattern: string;
  found: Map<string, string>;
  finish: (err?: Error) => void;
}

export class MqttLink extends EventEmitter<MqttLinkEvents> {
  private readonly client: MqttClient;
  private readonly outbox: Outbox;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly collectors = new Set<Collector>();
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly closeTimeoutMs: number;
  private readonly inflightWindow: number;
  private state: LinkState = 'connecting';
  private since = new Date().toISOString();
  private lastError: string | undefined;
  private reportedError: string | undefined;
  private backoffMs: number;
  private inflight = 0;
  private pumping = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: MqttLinkOptions) {
    super();
    checkTopicName(opts.availabilityTopic);
    this.initialBackoffMs = opts.backoff?.initialMs ?? 1_000;
    this.maxBackoffMs = Math.max(this.initialBackoffMs, opts.backoff?.maxMs ?? 30_000);
    this.backoffMs = this.initialBackoffMs;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 2_000;
    this.inflightWindow = opts.inflightWindow ?? 100;
    this.outbox = new Outbox({ limit: opts.outboxLimit, onDrop: opts.onDrop });
    this.client = connect(opts.broker.url, {
      ...toClientOptions(opts.broker),
      reconnectPeriod: this.initialBackoffMs,
      // A refused CONNACK (bad password) is retried too, with the same backoff: the user may fix the broker.
      reconnectOnConnackError: true,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: opts.availabilityTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => this.onClose());
    this.client.on('reconnect', () => this.onReconnectAttempt());
    this.client.on('error', (err) => this.report(describeError(err)));
    this.client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
  }

  status(): LinkStatus {
    return {
      state: this.state,
      since: this.since,
      broker: describeBroker(this.opts.broker),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
      outbox: this.outbox.stats(),
      inflight: this.inflight,
    };
  }

  /**
   * Queues a message and returns at once. `change` marks a state change: kept in order however
   * many follow; other messages are latest-wins per topic while they wait. Ignored after close().
   */
  publish(msg: MqttMessage, opts: { change?: boolean } = {}): void {
    checkTopicName(msg.topic);
    if (this.closing !== undefined) return;
    // A copy: the caller may reuse or mutate its object while ours waits.
    const message: MqttMessage = { topic: msg.topic, payload: msg.payload, retain: msg.retain, qos: msg.qos };
    this.outbox.add({ message, change: opts.change === true, held: this.state !== 'connected' });
    this.pump();
  }

  /** Calls `handler` for messages matching `pattern` from now on, across reconnects. Returns an unsubscribe. */
  subscribe(pattern: string, handler: MessageHandler): () => void {
    checkTopicFilter(pattern);
    let set = this.handlers.get(pattern);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(pattern, set);
      if (this.state === 'connected') this.sendSubscribe(pattern);
    }
    set.add(handler);
    const handlers = set;
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.handlers.get(pattern) === handlers) {
        this.handlers.delete(pattern);
        this.unsubscribeIfUnused(pattern);
      }
    };
  }

  /**
   * Retained messages on `pattern` (topic → UTF-8 payload) that the broker sends within `windowMs`
   * of acknowledging a fresh subscription. Waits at most `timeoutMs` for a connection and the
   * acknowledgement; rejects if the connection drops meanwhile or the link closes.
   */
  collectRetained(pattern: string, windowMs: number, timeoutMs = 10_000): Promise<Map<string, string>> {
    checkTopicFilter(pattern);
    if (this.closing !== undefined) return Promise.reject(new Error('MQTT link is closed'));
    return new Promise((resolve, reject) => {
      let windowTimer: NodeJS.Timeout | undefined;
      const start = (): void => {
        this.sendSubscribe(pattern, () => {
          clearTimeout(deadline);
          if (this.collectors.has(collector)) windowTimer = setTimeout(() => collector.finish(), windowMs);
        });
      };
      const lost = (): void => collector.finish(new Error(`connection lost while collecting retained ${pattern}`));
      const collector: Collector = {
        pattern,
        found: new Map(),
        finish: (err) => {
          if (!this.collectors.delete(collector)) return;
          clearTimeout(deadline);
          clearTimeout(windowTimer);
          this.off('connect', start);
          this.off('disconnect', lost);
          this.unsubscribeIfUnused(pattern);
          if (err === undefined) resolve(collector.found);
          else reject(err);
        },
      };
      const deadline = setTimeout(
        () => collector.finish(new Error(`no subscription to ${pattern} within ${timeoutMs} ms (broker ${this.state})`)),
        timeoutMs,
      );
      this.collectors.add(collector);
      this.on('disconnect', lost);
      if (this.state === 'connected') start();
      else this.once('connect', start);
    });
  }

  /** Publishes retained `offline`, waits for it and ends the client; bounded by closeTimeoutMs. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const deadline = Date.now() + this.closeTimeoutMs;
    for (const collector of [...this.collectors]) collector.finish(new Error('MQTT link closed'));
    let acked = false;
    if (this.state === 'connected') {
      acked = await within(deadline - Date.now(), false, (done) =>
        this.client.publish(this.opts.availabilityTopic, 'offline', { qos: 1, retain: true }, (err) => done(err === undefined || err === null)),
      );
    }
    // A graceful DISCONNECT only when the broker keeps up; otherwise drop the socket (the will says `offline`).
    const force = !acked;
    const ended = await within(Math.max(0, deadline - Date.now()), false, (done) => {
      this.client.end(force, {}, () => done(true));
    });
    if (!ended) this.client.stream?.destroy();
    this.setState('disconnected');
  }

  private onConnect(): void {
    if (this.closing !== undefined) return;
    this.backoffMs = this.initialBackoffMs;
    this.client.options.reconnectPeriod = this.initialBackoffMs;
    this.lastError = undefined;
    this.reportedError = undefined;
    this.setState('connected');
    // Birth first, so Home Assistant marks the entities available before their states arrive.
    this.client.publish(this.opts.availabilityTopic, 'online', { qos: 1, retain: true }, (err) => {
      if (err) this.report(`publish to ${this.opts.availabilityTopic} failed: ${err.message}`);
    });
    for (const pattern of this.handlers.keys()) this.sendSubscribe(pattern);
    this.safely('connect', () => this.emit('connect'));
    this.pump();
  }

  private onClose(): void {
    const was = this.state;
    this.setState('disconnected');
    if (was !== 'connected') return;
    if (this.closing !== undefined) {
      this.safely('disconnect', () => this.emit('disconnect', 'closed'));
      return;
    }
    if (this.lastError === undefined) this.report('connection to the broker lost');
    this.safely('disconnect', () => this.emit('disconnect', this.lastError));
  }

  /** mqtt.js reads reconnectPeriod each time it arms its timer (after this attempt fails): double it. */
  private onReconnectAttempt(): void {
    this.setState('connecting');
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    this.client.options.reconnectPeriod = this.backoffMs;
  }

  private onMessage(topic: string, payload: Buffer, retain: boolean): void {
    for (const [pattern, handlers] of this.handlers) {
      if (!topicMatches(pattern, topic)) continue;
      for (const handler of handlers) {
        try {
          handler(topic, payload, { retain });
        } catch (err) {
          this.report(`handler for ${pattern} threw: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    if (!retain) return;
    for (const collector of this.collectors) {
      if (!topicMatches(collector.pattern, topic)) continue;
      // An empty retained payload is a deletion (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718038).
      if (payload.length === 0) collector.found.delete(topic);
      else collector.found.set(topic, payload.toString('utf8'));
    }
  }

  private pump(): void {
    if (this.pumping) return; // a QoS 0 callback can fire synchronously inside publish()
    this.pumping = true;
    try {
      while (this.state === 'connected' && this.closing === undefined && this.inflight < this.inflightWindow) {
        const entry = this.outbox.shift();
        if (entry === undefined) break;
        const { topic, payload, retain, qos } = entry.message;
        this.inflight++;
        this.client.publish(topic, payload, { qos: entry.held && qos === 0 ? 1 : qos, retain }, (err) => {
          this.inflight--;
          if (err) this.report(`publish to ${topic} failed: ${err.message}`);
          this.pump();
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  private sendSubscribe(pattern: string, onGranted?: () => void): void {
    this.client.subscribe(pattern, { qos: 1 }, (err, granted) => {
      if (err) this.report(`subscribe to ${pattern} failed: ${err.message}`);
      else if (granted?.[0]?.qos === 128) this.report(`the broker refused the subscription to ${pattern}`);
      else onGranted?.();
    });
  }

  private unsubscribeIfUnused(pattern: string): void {
    if (this.handlers.has(pattern) || [...this.collectors].some((c) => c.pattern === pattern)) return;
    if (this.state === 'connected' && this.closing === undefined) this.client.unsubscribe(pattern);
  }

  private setState(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = new Date().toISOString();
  }

  private report(problem: string): void {
    const message = redactText(`${describeBroker(this.opts.broker)}: ${problem}`, [this.opts.broker.password]);
    this.lastError = message;
    if (message === this.reportedError) return;
    this.reportedError = message;
    this.opts.onError?.(message);
  }

  /** A throwing listener must not break mqtt.js's packet handling, which called us. */
  private safely(what: string, fire: () => void): void {
    try {
      fire();
    } catch (err) {
      this.report(`${what} listener threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Node reports a failed dual-stack connect as an AggregateError with an empty message: show the parts and the code. */
function describeError(err: Error): string {
  let text = err.message;
  if (text === '' && err instanceof AggregateError) text = err.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && !text.includes(code)) text = text === '' ? code : `${text} (${code})`;
  return text === '' ? String(err) : text;
}

/** Resolves with what `start` reports, or `fallback` after `ms`; the timer never outlives the wait. */
function within<T>(ms: number, fallback: T, start: (done: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
    start((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Topic names carry no wildcards: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718106 */
function checkTopicName(topic: string): void {
  if (typeof topic !== 'string' || topic === '' || /[+#]/.test(topic) || topic.includes('\u0000') || Buffer.byteLength(topic) > 65_535) {
    throw new TypeError(`invalid MQTT topic name ${JSON.stringify(topic)}`);
  }
}

function checkTopicFilter(filter: string): void {
  const levels = typeof filter === 'string' ? filter.split('/') : [];
  const ok =
    filter !== '' &&
    !filter.includes('\u0000') &&
    levels.every((level, i) => (level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+'));
  if (!ok) throw new TypeError(`invalid MQTT topic filter ${JSON.stringify(filter)}`);
}

/**
 * MQTT filter matching: `+` one level, `#` the rest (including the parent level); wildcards at the
 * first level never match `$`-topics (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718108).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
