import sqlite3 from 'sqlite3';
import { StoreError, classifyStoreError } from './errors.js';

/** A value SQLite can bind: the driver turns booleans into 0/1 itself, but we keep it explicit. */
export type SqlValue = string | number | bigint | Buffer | null;
export type SqlParams = readonly SqlValue[];

export interface RunResult {
  changes: number;
  lastId: number;
}

export interface OpenOptions {
  /** Open without write access (a read-only mount; also how tests simulate a 0444 file as root). */
  readOnly?: boolean;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Bound on opening and configuring the file (default 10000 ms). */
  openTimeoutMs?: number;
}

/** A prepared statement; `Db.withStatement` finalizes it on every path. */
export interface Prepared {
  run(params?: SqlParams): Promise<RunResult>;
}

/**
 * A small promise layer over node-sqlite3's callback API. Every failure is rejected as a
 * `StoreError` with a kind, so callers never inspect driver codes.
 */
export class Db {
  private closed = false;

  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
    readonly readOnly: boolean,
  ) {}

  static async open(file: string, options: OpenOptions = {}): Promise<Db> {
    const readOnly = options.readOnly ?? false;
    const mode = readOnly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const raw = await openRaw(file, mode, options.openTimeoutMs ?? 10_000);
    const db = new Db(raw, file, readOnly);
    try {
      raw.configure('busyTimeout', options.busyTimeoutMs ?? 5000);
      // The first statement reads the header: a garbage file fails here with SQLITE_NOTADB.
      await db.get('PRAGMA schema_version');
      if (!readOnly) {
        // WAL: readers never block the writer and a crash mid-transaction leaves the last commit
        // intact; NORMAL sync is durable across a process kill (only power loss may drop the
        // last commits). https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous
        await db.get('PRAGMA journal_mode=WAL');
        await db.exec('PRAGMA synchronous=NORMAL');
      }
      await db.exec('PRAGMA foreign_keys=ON');
    } catch (err) {
      await db.close().catch(() => undefined);
      throw classifyStoreError(err);
    }
    return db;
  }

  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(classifyStoreError(err));
        else resolve({ changes: this.changes, lastId: this.lastID });
      });
    });
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get<T | undefined>(sql, params, (err: Error | null, row: T | undefined) => {
        if (err) reject(classifyStoreError(err));
        else resolve(row);
      });
    });
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all<T>(sql, params, (err: Error | null, rows: T[]) => {
        if (err) reject(classifyStoreError(err));
        else resolve(rows);
      });
    });
  }

  /** Runs one or more statements without parameters (schema scripts, pragmas). */
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (err: Error | null) => {
        if (err) reject(classifyStoreError(err));
        else resolve();
      });
    });
  }

  /** Prepares `sql`, hands it to `use`, and finalizes it whatever `use` does. */
  async withStatement<T>(sql: string, use: (statement: Prepared) => Promise<T>): Promise<T> {
    const statement = await this.prepareRaw(sql);
    try {
      return await use({ run: (params = []) => runStatement(statement, params) });
    } finally {
      await new Promise<void>((resolve) => statement.finalize(() => resolve()));
    }
  }

  /**
   * Runs `work` inside BEGIN IMMEDIATE … COMMIT: IMMEDIATE takes the write lock up front, so
   * waiting for another writer happens in the busy handler (bounded by busy_timeout) instead of
   * failing half-way. Any error rolls back and is rethrown.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.exec('BEGIN IMMEDIATE');
    try {
      const result = await work();
      await this.exec('COMMIT');
      return result;
    } catch (err) {
      // After SQLITE_FULL and some I/O errors SQLite has already rolled back; ignore that case.
      await this.exec('ROLLBACK').catch(() => undefined);
      throw classifyStoreError(err);
    }
  }

  /** Every SQL statement as it starts (for tests and debugging). Returns an unsubscribe. */
  onTrace(listener: (sql: string) => void): () => void {
    this.raw.on('trace', listener);
    // removeListener, not off: node-sqlite3 overrides removeListener to stop tracing only when the
    // last listener goes; `off` bypasses that and would switch tracing off for the others too.
    return () => this.raw.removeListener('trace', listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve, reject) => {
      this.raw.close((err: Error | null) => (err ? reject(classifyStoreError(err)) : resolve()));
    });
  }

  private prepareRaw(sql: string): Promise<sqlite3.Statement> {
    return new Promise((resolve, reject) => {
      const statement = this.raw.prepare(sql, (err: Error | null) => {
        if (!err) return resolve(statement);
        statement.finalize(() => reject(classifyStoreError(err)));
      });
    });
  }
}

function runStatement(statement: sqlite3.Statement, params: SqlParams): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    statement.run(params, function (this: sqlite3.RunResult, err: Error | null) {
      if (err) reject(classifyStoreError(err));
      else resolve({ changes: this.changes, lastId: this.lastID });
    });
  });
}

function openRaw(file: string, mode: number, timeoutMs: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new StoreError('timeout', `opening the database took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    const raw: sqlite3.Database = new sqlite3.Database(file, mode, (err: Error | null) => {
      clearTimeout(timer);
      if (timedOut) {
        // Too late for the caller: release the handle it will never see.
        if (!err) raw.close(() => undefined);
        return;
      }
      if (err) reject(classifyStoreError(err));
      else resolve(raw);
    });
  });
}
