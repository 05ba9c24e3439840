import type { ProbeError } from './errors.js';

/**
 * One overall deadline per probe with per-phase caps: every wait asks `phaseMs(cap)` for the time it
 * may take, so a slow phase can never push the probe past its overall timeout.
 */
export class Deadline {
  readonly startedAt: number;
  readonly endsAt: number;

  constructor(
    readonly totalMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.startedAt = now();
    this.endsAt = this.startedAt + totalMs;
  }

  /** Milliseconds since the probe started. */
  elapsed(): number {
    return Math.round(this.now() - this.startedAt);
  }

  remaining(): number {
    return Math.max(0, this.endsAt - this.now());
  }

  /** Time a phase may wait: its own cap, never beyond the overall deadline. */
  phaseMs(capMs: number): number {
    // Whole milliseconds: AbortSignal.timeout() rejects fractions.
    return Math.max(0, Math.ceil(Math.min(capMs, this.remaining())));
  }

  expired(): boolean {
    return this.remaining() <= 0;
  }
}

/**
 * Races `work` against a timer and an abort signal; the timer is always cleared and the abort
 * listener always removed, whichever wins.
 */
export async function within<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => ProbeError,
  signal?: AbortSignal,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    if (signal) {
      onAbort = () => reject(abortReason(signal));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, guard]);
  } finally {
    clearTimeout(timer);
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** The error to throw when the caller aborts: its own reason, or a standard AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The probe was aborted', 'AbortError');
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}
