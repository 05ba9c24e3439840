import { Fifo } from './fifo.js';

interface Host<E> {
  key: string;
  running: number;
  queue: Fifo<E>;
  /** In `ready` (has queued work and a free slot), so it is never listed twice. */
  ready: boolean;
}

/**
 * Admission control for probes: a global cap and a per-host cap. Waiting work sits in one FIFO
 * per host, and hosts with work and a free slot take turns (round robin), so an NVR whose 200
 * cameras all wait behind its per-host cap never delays a single camera on another host.
 *
 * Items are not removed from a queue when they die; `takeNext` skips those `isLive` rejects.
 */
export class FairGate<E extends { readonly host: string }> {
  private readonly hosts = new Map<string, Host<E>>();
  private readonly ready = new Fifo<Host<E>>();
  private runningTotal = 0;

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxPerHost: number,
  ) {}

  get running(): number {
    return this.runningTotal;
  }

  runningOn(host: string): number {
    return this.hosts.get(host)?.running ?? 0;
  }

  enqueue(item: E): void {
    const host = this.host(item.host);
    host.queue.push(item);
    this.markReady(host);
  }

  /** The next live item allowed to start, with its slots taken; undefined when none may start now. */
  takeNext(isLive: (item: E) => boolean): E | undefined {
    while (this.runningTotal < this.maxConcurrent) {
      const host = this.ready.shift();
      if (!host) return undefined;
      host.ready = false;
      let item = host.queue.shift();
      while (item !== undefined && !isLive(item)) item = host.queue.shift();
      if (item === undefined) {
        this.dropIfIdle(host);
        continue;
      }
      host.running++;
      this.runningTotal++;
      this.markReady(host); // back of the line: the next turn goes to another host
      return item;
    }
    return undefined;
  }

  /** Frees the slots an item took in `takeNext`. */
  release(hostKey: string): void {
    const host = this.hosts.get(hostKey);
    if (!host || host.running === 0) return;
    host.running--;
    this.runningTotal--;
    this.markReady(host);
    this.dropIfIdle(host);
  }

  /** Forgets every waiting item (running ones keep their slots until released). */
  clearQueues(): void {
    this.ready.clear();
    for (const host of this.hosts.values()) {
      host.queue.clear();
      host.ready = false;
      this.dropIfIdle(host);
    }
  }

  private host(key: string): Host<E> {
    let host = this.hosts.get(key);
    if (!host) {
      host = { key, running: 0, queue: new Fifo<E>(), ready: false };
      this.hosts.set(key, host);
    }
    return host;
  }

  private markReady(host: Host<E>): void {
    if (host.ready || host.queue.length === 0 || host.running >= this.maxPerHost) return;
    host.ready = true;
    this.ready.push(host);
  }

  private dropIfIdle(host: Host<E>): void {
    if (host.running === 0 && host.queue.length === 0 && !host.ready) this.hosts.delete(host.key);
  }
}
