/**
 * The times of the last `limit + 1` state changes: "more than `limit` changes within the window"
 * holds exactly when the oldest of them is still inside the window, so memory stays O(limit)
 * however often a stream flaps.
 */
export class FlapWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  record(t: number): void {
    this.times.push(t);
    if (this.times.length > this.limit + 1) this.times.shift();
  }

  /** More than `limit` changes in (t − window, t]. */
  isFlapping(t: number): boolean {
    const oldest = this.times[0];
    return this.times.length > this.limit && oldest !== undefined && oldest > t - this.windowMs;
  }

  list(): readonly number[] {
    return this.times;
  }
}
