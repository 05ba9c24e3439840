/**
 * One store file as the nodes see it: the batched writer, a read connection for the API and
 * `msg.uptime`, and the periodic roll-up and retention jobs on a connection of their own. Nothing
 * here throws into a caller: faults become a status (`onStatus`) and the rows wait in the queue.
 */
import { stat } from 'node:fs/promises';
import type { Heartbeat } from '../heartbeat.js';
import type { HealthSnapshot, Outage } from '../health/types.js';
import type { Db } from './db.js';
import { classifyStoreError } from './errors.js';
import type { StoreErrorKind } from './errors.js';
import { ProbeCounterBook } from '../api/counters.js';
import { rolledUptimeOfAll } from './fleet-rolled.js';
import { applyRetention, DEFAULT_RETENTION } from './retention.js';
import type { RetentionPolicy } from './retention.js';
import { rollUpAll } from './rollup.js';
import { BatchedWriter, openStore, readHealthSnapshots } from './writer.js';
import type { WriterOptions, WriterStats } from './writer.js';

export interface StoreStatus {
  ok: boolean;
  /** Set while writing or maintenance fails. */
  error?: { kind: StoreErrorKind; message: string; during: 'write' | 'maintenance' | 'read' };
}

/** Uptime in percent over the windows `msg.uptime` carries; null when nothing was observed. */
export interface UptimeWindows {
  h24: number | null;
  d7: number | null;
  d30: number | null;
}

export interface StoreServiceOptions {
  retention?: RetentionPolicy;
  /** Roll-ups run this often (default 60 s): more often than raw retention, so nothing is pruned unrolled. */
  rollupEveryMs?: number;
  /** Retention runs this often (default 10 min). */
  retentionEveryMs?: number;
  /** `msg.uptime` figures are recomputed for every stream at most this often (default 60 s). */
  uptimeEveryMs?: number;
  writer?: WriterOptions;
  now?: () => number;
  onStatus?: (status: StoreStatus) => void;
}

const WINDOWS: readonly [keyof UptimeWindows, number][] = [
  ['h24', 86_400_000],
  ['d7', 7 * 86_400_000],
  ['d30', 30 * 86_400_000],
];
/** close() waits this long for a running roll-up chunk before closing its connection anyway. */
const CLOSE_WAIT_MS = 3000;

export class StoreService {
  readonly counters = new ProbeCounterBook();
  private readonly writer: BatchedWriter;
  private readonly now: () => number;
  private readonly retention: RetentionPolicy;
  private readonly timers: NodeJS.Timeout[] = [];
  private readerDb: Promise<Db> | undefined;
  private maintenanceDb: Promise<Db> | undefined;
  private maintenance: Promise<void> | undefined;
  private uptimes = new Map<string, UptimeWindows>();
  private uptimeRefresh: Promise<void> | undefined;
  private uptimeAt = -Infinity;
  private lastRetentionAt = -Infinity;
  private rolledUpToMs: number | undefined;
  private status: StoreStatus = { ok: true };
  private closed = false;

  constructor(readonly file: string, private readonly options: StoreServiceOptions = {}) {
    this.now = options.now ?? Date.now;
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.writer = BatchedWriter.forFile(file, {
      ...options.writer,
      onError: (kind, message) => {
        options.writer?.onError?.(kind, message);
        this.setStatus({ ok: false, error: { kind, message, during: 'write' } });
      },
      onRecover: () => {
        options.writer?.onRecover?.();
        this.setStatus({ ok: true });
      },
    });
    const every = (ms: number, job: () => void): void => {
      const timer = setInterval(job, ms);
      timer.unref();
      this.timers.push(timer);
    };
    const whenIdle = (): void => {
      if (!this.maintenance) void this.runMaintenance();
    };
    every(options.rollupEveryMs ?? 60_000, whenIdle);
    // At once too: a restart after a while has a backlog to roll up before uptimes mean anything.
    const first = setTimeout(whenIdle, 0);
    first.unref();
    this.timers.push(first);
  }

  /** How far the roll-ups reach (undefined before the first successful run). */
  rolledUpTo(): number | undefined {
    return this.rolledUpToMs;
  }

  /** Queues a heartbeat (and the outage it ended, if any); returns at once. */
  record(heartbeat: Heartbeat, outage?: Outage): void {
    if (this.closed) return;
    this.counters.record(heartbeat);
    this.writer.enqueue(heartbeat);
    const { health } = heartbeat;
    if (outage) this.writer.enqueueOutage(outage);
    else if (health.changed && health.state !== 'offline') {
      // A source without Outage records (a heartbeat from MQTT): end what the offline change opened.
      this.writer.closeOpenOutages(heartbeat.stream.id, heartbeat.ts);
    }
    if (health.changed && health.state === 'offline') {
      // Open from the first failure on, so the outage list shows a camera that is down right now.
      this.writer.enqueueOutage({ streamId: heartbeat.stream.id, start: health.since, code: heartbeat.code, message: heartbeat.message });
    }
  }

  /** Keeps health trackers' state so `since` and streaks survive a restart. */
  saveHealth(snapshots: Iterable<HealthSnapshot>): void {
    if (this.closed) return;
    for (const snapshot of snapshots) this.writer.saveHealth(snapshot);
  }

  /** The snapshots saved before, keyed by stream id; empty when the file cannot be read. */
  async healthSnapshots(): Promise<Record<string, HealthSnapshot>> {
    try {
      return await readHealthSnapshots(await this.reader());
    } catch (err) {
      this.readFailed(err);
      return {};
    }
  }

  /** The last computed uptime of a stream (refreshed in the background, at most every minute). */
  uptimeOf(streamId: string): UptimeWindows | undefined {
    const stale = this.now() - this.uptimeAt >= (this.options.uptimeEveryMs ?? 60_000);
    if (stale && !this.uptimeRefresh) void this.refreshUptimes();
    return this.uptimes.get(streamId);
  }

  /** Recomputes every stream's uptime windows from the roll-ups (a few rows per stream). */
  refreshUptimes(): Promise<void> {
    // After any computation already running: that one may have started before the latest rows.
    const run = (this.uptimeRefresh ?? Promise.resolve()).then(() => this.computeUptimes());
    this.uptimeRefresh = run;
    void run.finally(() => {
      if (this.uptimeRefresh === run) this.uptimeRefresh = undefined;
    });
    return run;
  }

  /** The read connection (opened on first use, reopened after a failure). */
  reader(): Promise<Db> {
    this.readerDb ??= openStore(this.file).catch((err: unknown) => {
      this.readerDb = undefined;
      throw err;
    });
    return this.readerDb;
  }

  /** Database file plus its WAL, in bytes. */
  async sizeBytes(): Promise<number> {
    const size = async (path: string): Promise<number> => (await stat(path).catch(() => undefined))?.size ?? 0;
    return (await size(this.file)) + (await size(`${this.file}-wal`));
  }

  writerStats(): WriterStats {
    return this.writer.stats();
  }

  currentStatus(): StoreStatus {
    return this.status;
  }

  flush(): Promise<boolean> {
    return this.writer.flush();
  }

  /** Runs the roll-ups now (and retention when due); resolves when done, never rejects. */
  runMaintenance(): Promise<void> {
    // After a run in progress, which may have read the file before the latest rows were written.
    const run = (this.maintenance ?? Promise.resolve()).then(() => this.maintain());
    this.maintenance = run;
    void run.finally(() => {
      if (this.maintenance === run) this.maintenance = undefined;
    });
    return run;
  }

  /** Final flush, then every connection and timer is released. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.writer.close();
    const settled = (p: Promise<unknown> | undefined): Promise<unknown> =>
      p ? Promise.race([p.catch(() => undefined), delay(CLOSE_WAIT_MS)]) : Promise.resolve();
    await settled(this.maintenance);
    await settled(this.uptimeRefresh);
    for (const db of [this.readerDb, this.maintenanceDb]) {
      const open = await db?.catch(() => undefined);
      await open?.close().catch(() => undefined);
    }
  }

  private async maintain(): Promise<void> {
    if (this.closed) return;
    try {
      this.maintenanceDb ??= openStore(this.file).catch((err: unknown) => {
        this.maintenanceDb = undefined;
        throw err;
      });
      const db = await this.maintenanceDb;
      const now = this.now();
      await rollUpAll(db, now);
      this.rolledUpToMs = now;
      if (this.closed) return;
      if (now - this.lastRetentionAt >= (this.options.retentionEveryMs ?? 600_000)) {
        await applyRetention(db, this.retention, now);
        this.lastRetentionAt = now;
      }
      if (this.status.error?.during === 'maintenance') this.setStatus({ ok: true });
    } catch (err) {
      const { kind, message } = classifyStoreError(err);
      // A write failure says more (rows are waiting); do not hide it behind a maintenance one.
      if (this.status.error?.during !== 'write') this.setStatus({ ok: false, error: { kind, message, during: 'maintenance' } });
    }
  }

  private async computeUptimes(): Promise<void> {
    try {
      const db = await this.reader();
      const now = this.now();
      const rolled = this.rolledUpToMs;
      // Until the first roll-up has run, a figure from raw rows alone would be wrong: wait.
      if (rolled === undefined) return;
      const next = new Map<string, UptimeWindows>();
      for (const [key, span] of WINDOWS) {
        for (const [id, result] of await rolledUptimeOfAll(db, now - span, now, rolled)) {
          const windows = next.get(id) ?? { h24: null, d7: null, d30: null };
          windows[key] = result.uptimePct;
          next.set(id, windows);
        }
      }
      this.uptimes = next;
      this.uptimeAt = now;
    } catch (err) {
      // Try again in a minute rather than on every heartbeat.
      this.uptimeAt = this.now();
      this.readFailed(err);
    }
  }

  private readFailed(err: unknown): void {
    const { kind, message } = classifyStoreError(err);
    if (this.status.ok) this.setStatus({ ok: false, error: { kind, message, during: 'read' } });
  }

  private setStatus(status: StoreStatus): void {
    this.status = status;
    this.options.onStatus?.(status);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
