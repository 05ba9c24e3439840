/**
 * The queue of messages waiting for the broker (away, or slow to acknowledge). Two kinds:
 *
 * - "latest wins" messages (retained states, refreshes): only the newest per topic matters, so
 *   a newer message on the same topic replaces the waiting one. A long outage then costs one
 *   message per topic, not one per refresh.
 * - state CHANGE messages (flagged by the caller): every one is kept, in order, so a subscriber
 *   sees each transition even if the broker was away while it happened.
 *
 * Everything leaves in arrival order. The queue is bounded: when full, the oldest latest-wins
 * message goes first (a newer state usually follows), a change only when nothing else is left,
 * and every drop is reported.
 */

export type QoS = 0 | 1 | 2;

export interface MqttMessage {
  topic: string;
  payload: string | Buffer;
  retain: boolean;
  qos: QoS;
}

export interface OutboxEntry {
  message: MqttMessage;
  /** A state change: never replaced by a newer message on the same topic. */
  change: boolean;
  /** Queued while the broker was away; the link sends it with QoS ≥ 1. */
  held: boolean;
}

export interface OutboxStats {
  queued: number;
  /** Changes among `queued`. */
  changes: number;
  /** Latest-wins messages replaced by a newer one on their topic (expected, not a loss). */
  superseded: number;
  /** Messages dropped because the queue was full. */
  droppedLatest: number;
  droppedChanges: number;
}

export const DEFAULT_OUTBOX_LIMIT = 10_000;

export interface OutboxOptions {
  /** Most messages held at once (default 10,000). */
  limit?: number;
  /** Told about each message dropped because the queue was full. */
  onDrop?: (entry: OutboxEntry) => void;
}

export class Outbox {
  private readonly limit: number;
  private readonly onDrop: ((entry: OutboxEntry) => void) | undefined;
  /** Every waiting entry by sequence number; a Map iterates in insertion order, i.e. arrival order. */
  private readonly bySeq = new Map<number, OutboxEntry>();
  /** Sequence numbers of waiting latest-wins entries, oldest first (the overflow victims). */
  private readonly replaceable = new Set<number>();
  /** topic → sequence number of its waiting latest-wins entry. */
  private readonly latestByTopic = new Map<string, number>();
  private nextSeq = 0;
  private changeCount = 0;
  private superseded = 0;
  private droppedLatest = 0;
  private droppedChanges = 0;

  constructor(opts: OutboxOptions = {}) {
    const limit = opts.limit ?? DEFAULT_OUTBOX_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`outbox limit must be a positive integer, got ${limit}`);
    this.limit = limit;
    this.onDrop = opts.onDrop;
  }

  get size(): number {
    return this.bySeq.size;
  }

  stats(): OutboxStats {
    return {
      queued: this.bySeq.size,
      changes: this.changeCount,
      superseded: this.superseded,
      droppedLatest: this.droppedLatest,
      droppedChanges: this.droppedChanges,
    };
  }

  /** O(1) amortised: never waits, whatever the queue holds. */
  add(entry: OutboxEntry): void {
    // Any newer message on a topic (change or not) makes its waiting latest-wins message obsolete:
    // the broker would overwrite it straight away.
    const waiting = this.latestByTopic.get(entry.message.topic);
    if (waiting !== undefined) {
      this.remove(waiting);
      this.superseded++;
    }
    while (this.bySeq.size >= this.limit) this.dropOldest();
    const seq = this.nextSeq++;
    this.bySeq.set(seq, entry);
    if (entry.change) {
      this.changeCount++;
    } else {
      this.replaceable.add(seq);
      this.latestByTopic.set(entry.message.topic, seq);
    }
  }

  /** Takes the oldest waiting entry. */
  shift(): OutboxEntry | undefined {
    const first = this.bySeq.keys().next();
    if (first.done === true) return undefined;
    return this.remove(first.value);
  }

  /** Empties the queue (on close) and returns what was waiting, oldest first. */
  drain(): OutboxEntry[] {
    const all = [...this.bySeq.values()];
    this.bySeq.clear();
    this.replaceable.clear();
    this.latestByTopic.clear();
    this.changeCount = 0;
    return all;
  }

  private dropOldest(): void {
    const victim = this.replaceable.values().next();
    const seq = victim.done === true ? this.bySeq.keys().next().value : victim.value;
    if (seq === undefined) return;
    const entry = this.remove(seq);
    if (entry === undefined) return;
    if (entry.change) this.droppedChanges++;
    else this.droppedLatest++;
    this.onDrop?.(entry);
  }

  private remove(seq: number): OutboxEntry | undefined {
    const entry = this.bySeq.get(seq);
    if (entry === undefined) return undefined;
    this.bySeq.delete(seq);
    if (entry.change) {
      this.changeCount--;
    } else {
      this.replaceable.delete(seq);
      if (this.latestByTopic.get(entry.message.topic) === seq) this.latestByTopic.delete(entry.message.topic);
    }
    return entry;
  }
}
