import type { Timed } from './due-timer.js';
import type { RunReport, SchedulableStream } from './types.js';

/**
 * Where a stream is in its cycle. Exactly one at a time, which is what makes "never two probes of
 * the same stream at once" hold: a stream is due (in the heap), waiting for a slot (in the
 * gate), or running — the next slot is only computed when the run ends.
 */
export type Phase = 'idle' | 'waiting' | 'queued' | 'running' | 'dead';

/** Scheduler state of one stream. Replaced, not mutated, when the stream's definition changes. */
export class Entry<S extends SchedulableStream> implements Timed {
  heapIndex = -1;
  phase: Phase = 'idle';
  /** When the pending slot falls due (phase `waiting`). */
  dueAt = 0;
  /** Tie-break for equal `dueAt`: first scheduled, first served. */
  seq = 0;
  /** The grid time the pending slot stands for; undefined for a retry or a manual run. */
  pendingNominal: number | undefined;
  /** Grid time of the last grid slot that fell due; the next one is computed from it. */
  lastNominal = 0;
  /** When the current run was due (phases `queued` and `running`). */
  scheduledAt = 0;
  /** When the current (or last) run started. */
  startedAt = 0;
  failures = 0;
  /** True from start to settlement, also after the entry died (its host slot is still taken). */
  running = false;
  controller: AbortController | undefined;
  /** The entry this one replaced, while that one's aborted run has not settled yet. */
  predecessor: Entry<S> | undefined;
  waiters: ((report: RunReport) => void)[] = [];

  constructor(
    public stream: S,
    readonly host: string,
  ) {}

  get id(): string {
    return this.stream.id;
  }

  settleWaiters(ok: boolean, aborted: boolean): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve({ id: this.id, ok, aborted });
  }
}
