/**
 * One frame clock for the whole fleet: a single interval timer drives every stream that is
 * playing, instead of one timer per session. It runs only while some stream plays, so an idle
 * fleet holds no timer at all.
 */

export interface TickedStream {
  /** Sends this stream's next frame (or ends the stream); `now` is Date.now() of this tick. */
  tick(now: number): void;
}

export class FrameTicker {
  private readonly streams = new Set<TickedStream>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly frameMs: number) {}

  get size(): number {
    return this.streams.size;
  }

  add(stream: TickedStream): void {
    this.streams.add(stream);
    this.timer ??= setInterval(() => this.tickAll(), this.frameMs);
  }

  remove(stream: TickedStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0) this.halt();
  }

  /** Forgets every stream and stops the clock (fleet shutdown). */
  clear(): void {
    this.streams.clear();
    this.halt();
  }

  private tickAll(): void {
    const now = Date.now();
    // A stream may remove itself while ticking; iterating a Set tolerates that.
    for (const stream of this.streams) stream.tick(now);
  }

  private halt(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
