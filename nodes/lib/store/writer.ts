import type { Heartbeat } from '../heartbeat.js';
import { readSnapshot } from '../health/snapshot.js';
import type { HealthSnapshot } from '../health/types.js';
import { Db } from './db.js';
import type { OpenOptions } from './db.js';
import { classifyStoreError } from './errors.js';
import type { StoreErrorKind } from './errors.js';
import { migrate } from './migrations.js';
import {
  CLOSE_OPEN_OUTAGES, INSERT_HEARTBEAT, UPDATE_HEALTH, UPSERT_OUTAGE, UPSERT_STREAM,
  closeOutagesRow, healthRow, heartbeatRow, outageRow, streamParams,
} from './rows.js';
import type { OutageRecord, PendingRow, StreamRow } from './rows.js';

export interface WriterOptions {
  /** Longest time a row waits in memory (default 1000 ms). */
  flushMs?: number;
  /** Queue length that triggers a flush at once (default 500). */
  maxRows?: number;
  /** Rows kept while the database fails; beyond it the oldest are dropped (default 100,000). */
  maxQueue?: number;
  /** A failure, once per distinct failure (not once per retry): the rows are kept and retried. */
  onError?: (kind: StoreErrorKind, message: string) => void;
  /** The first successful flush after a failure. */
  onRecover?: () => void;
  /** Rows were dropped because the queue was full; `total` counts every drop so far. */
  onDrop?: (dropped: number, total: number) => void;
}

export interface WriterStats {
  queued: number;
  written: number;
  dropped: number;
  flushes: number;
  failedFlushes: number;
  lastError?: { kind: StoreErrorKind; message: string };
}

/**
 * Collects heartbeats, outages and health snapshots in memory and writes them in one transaction
 * per flush, so a probe never waits for the disk and SQLite does one fsync per batch instead of
 * one per row. Nothing here throws into the caller: failures go to `onError` and the rows stay
 * queued for the next flush.
 */
export class BatchedWriter {
  private queue: PendingRow[] = [];
  private db: Db | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private closing = false;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxRows: number;
  private readonly maxQueue: number;
  private readonly counts = { written: 0, dropped: 0, flushes: 0, failedFlushes: 0 };
  private lastError: { kind: StoreErrorKind; message: string } | undefined;

  /** `connect` opens (and migrates) the database; it is called again after a failed open. */
  constructor(
    private readonly connect: () => Promise<Db>,
    private readonly options: WriterOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 1000;
    this.maxRows = options.maxRows ?? 500;
    this.maxQueue = Math.max(options.maxQueue ?? 100_000, this.maxRows);
  }

  /** A writer for one database file, migrated to the current schema on first use. */
  static forFile(file: string, options: WriterOptions & OpenOptions = {}): BatchedWriter {
    return new BatchedWriter(() => openStore(file, options), options);
  }

  enqueue(heartbeat: Heartbeat): void {
    this.push(heartbeatRow(heartbeat));
  }

  /** An outage, open (no `end`) or ended; the same (stream, start) later updates the row. */
  enqueueOutage(outage: OutageRecord): void {
    this.push(outageRow(outage));
  }

  /** Ends the stream's open outages at `endIso` (when the source sends no ended Outage). */
  closeOpenOutages(streamId: string, endIso: string): void {
    this.push(closeOutagesRow(streamId, endIso));
  }

  /** Keeps a health tracker's state on the stream's row (the stream must have a heartbeat). */
  saveHealth(snapshot: HealthSnapshot): void {
    this.push(healthRow(snapshot));
  }

  /** Writes everything queued; resolves true when the queue was written, false on failure. */
  flush(): Promise<boolean> {
    // Flushes never overlap: a second caller waits for the running one, then writes what is left.
    const previous = this.running ?? Promise.resolve(true);
    const next = previous.then(() => this.flushOnce());
    this.running = next;
    void next.then(() => {
      if (this.running === next) this.running = undefined;
    });
    return next;
  }

  /** A final flush, then the database is closed. Later enqueues are ignored. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.clearTimer();
    await this.flush();
    const db = this.db;
    this.db = undefined;
    this.closed = true;
    await db?.close().catch((err: unknown) => this.report(err));
  }

  /** The open connection (for readers that share it), if any. */
  get database(): Db | undefined {
    return this.db;
  }

  stats(): WriterStats {
    const stats: WriterStats = { queued: this.queue.length, ...this.counts };
    if (this.lastError) stats.lastError = { ...this.lastError };
    return stats;
  }

  private push(row: PendingRow): void {
    if (this.closing) return;
    this.queue.push(row);
    this.trim();
    if (this.queue.length >= this.maxRows && !this.running) void this.flush();
    else this.arm();
  }

  private arm(): void {
    if (this.timer || this.closing || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    // A pending flush must not keep Node-RED (or a test) alive; close() flushes explicitly.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private trim(): void {
    const excess = this.queue.length - this.maxQueue;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.counts.dropped += excess;
    this.options.onDrop?.(excess, this.counts.dropped);
  }

  private async flushOnce(): Promise<boolean> {
    this.clearTimer();
    if (this.queue.length === 0) return true;
    // After close() the file stays closed: rows a failed final flush left behind are not retried.
    if (this.closed) return false;
    const batch = this.queue;
    this.queue = [];
    try {
      this.db ??= await this.connect();
      await writeBatch(this.db, batch);
      this.counts.written += batch.length;
      this.counts.flushes++;
      if (this.lastError) {
        this.lastError = undefined;
        this.options.onRecover?.();
      }
      // A full batch arrived while this one was written: write it now, not a second later.
      if (this.queue.length >= this.maxRows) void this.flush();
      else this.arm();
      return true;
    } catch (err) {
      // Put the batch back in front of what arrived meanwhile, oldest first.
      this.queue = batch.concat(this.queue);
      this.trim();
      this.counts.failedFlushes++;
      this.report(err);
      this.arm();
      return false;
    }
  }

  private report(err: unknown): void {
    const { kind, message } = classifyStoreError(err);
    const last = this.lastError;
    this.lastError = { kind, message };
    if (last?.kind === kind && last.message === message) return;
    this.options.onError?.(kind, message);
  }
}

/** Opens a store file and brings its schema up to date (read-only files are only checked). */
export async function openStore(file: string, options: OpenOptions = {}): Promise<Db> {
  const db = await Db.open(file, options);
  try {
    if (!options.readOnly) await migrate(db);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** The health snapshots kept on the streams table, keyed by stream id, for `HealthBook.restore`. */
export async function readHealthSnapshots(db: Db): Promise<Record<string, HealthSnapshot>> {
  const rows = await db.all<{ id: string; health_json: string }>(
    'SELECT id, health_json FROM streams WHERE health_json IS NOT NULL',
  );
  const out: Record<string, HealthSnapshot> = {};
  for (const row of rows) {
    const snap = readSnapshot(parseJson(row.health_json));
    if (snap && snap.streamId === row.id) out[row.id] = snap;
  }
  return out;
}

async function writeBatch(db: Db, batch: readonly PendingRow[]): Promise<void> {
  // Only the newest heartbeat of each stream updates `streams`; first_seen is the batch's oldest.
  const latest = new Map<string, { stream: StreamRow; firstSeen: number }>();
  for (const row of batch) {
    if (row.table !== 'heartbeats') continue;
    const seen = latest.get(row.streamId);
    const firstSeen = Math.min(seen?.firstSeen ?? row.ts, row.ts);
    const stream = seen && seen.stream.lastSeen > row.ts ? seen.stream : row.stream;
    latest.set(row.streamId, { stream, firstSeen });
  }
  await db.transaction(async () => {
    await db.withStatement(INSERT_HEARTBEAT, async (insert) => {
      for (const row of batch) if (row.table === 'heartbeats') await insert.run(row.params);
    });
    await db.withStatement(UPSERT_STREAM, async (upsert) => {
      for (const { stream, firstSeen } of latest.values()) await upsert.run(streamParams(stream, firstSeen));
    });
    const others = batch.filter((row): row is Exclude<PendingRow, { table: 'heartbeats' }> => row.table !== 'heartbeats');
    if (others.length === 0) return;
    // In queue order: an outage opened, then ended, in one batch must end up ended.
    const sql = { outages: UPSERT_OUTAGE, 'close-outages': CLOSE_OPEN_OUTAGES, health: UPDATE_HEALTH } as const;
    for (const row of others) await db.run(sql[row.table], row.params);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
