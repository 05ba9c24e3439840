import type { Clock, TimerHandle } from '../util/clock.js';
import { MinHeap } from './heap.js';
import type { HeapItem } from './heap.js';

/** Something that falls due at a time; `seq` breaks ties first come, first served. */
export interface Timed extends HeapItem {
  dueAt: number;
  seq: number;
}

/**
 * Due times of any number of items behind ONE clock timer: a min-heap of due times, and the timer
 * armed for the earliest. 10,000 streams cost O(log n) per slot instead of 10,000 live timers.
 * When the timer fires, `onDue` is called; it takes the due items with `takeDue` and re-arms.
 */
export class DueTimer<T extends Timed> {
  private readonly heap = new MinHeap<T>((a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq));
  private timer: TimerHandle | undefined;
  private armedAt = Infinity;
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: () => void,
  ) {}

  get size(): number {
    return this.heap.size;
  }

  add(item: T, dueAt: number): void {
    item.dueAt = dueAt;
    item.seq = this.seq++;
    this.heap.push(item);
    this.arm();
  }

  /** Moves an item that is already in, to a new due time. */
  move(item: T, dueAt: number): void {
    item.dueAt = dueAt;
    this.heap.update(item);
    this.arm();
  }

  /** Takes an item out. The timer stays: if it fires with nothing due, it just re-arms. */
  remove(item: T): void {
    this.heap.remove(item);
  }

  /** The next item due at `now`, removed, or undefined when none is due yet. */
  takeDue(now: number): T | undefined {
    const first = this.heap.peek();
    return first !== undefined && first.dueAt <= now ? this.heap.pop() : undefined;
  }

  /** Stops the timer until `start` (items stay). */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  start(): void {
    this.stopped = false;
    this.arm();
  }

  clear(): void {
    this.heap.clear();
    this.disarm();
  }

  /** Keeps the timer set for the earliest due time. */
  arm(): void {
    if (this.stopped) return;
    const first = this.heap.peek();
    if (!first) {
      this.disarm();
      return;
    }
    // An earlier timer stays: when it fires with nothing due it re-arms (cheaper than re-setting).
    if (this.timer !== undefined && this.armedAt <= first.dueAt) return;
    this.disarm();
    this.armedAt = first.dueAt;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.armedAt = Infinity;
      this.onDue();
      this.arm();
    }, Math.max(0, first.dueAt - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }
}
