/**
 * What went wrong with the database, in the words a node status and a log line need. SQLite's
 * result codes are documented at https://www.sqlite.org/rescode.html; node-sqlite3 puts the
 * primary code's name on `err.code` (e.g. `SQLITE_BUSY`).
 */
export const STORE_ERROR_KINDS = ['locked', 'full', 'readonly', 'corrupt', 'io', 'timeout', 'other'] as const;
export type StoreErrorKind = (typeof STORE_ERROR_KINDS)[number];

export class StoreError extends Error {
  readonly kind: StoreErrorKind;
  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.kind = kind;
  }
}

const KIND_BY_CODE: Readonly<Record<string, StoreErrorKind>> = {
  // BUSY: another connection holds the write lock past busy_timeout; LOCKED: a conflict inside
  // this connection (shared cache). Both clear up on their own, so the rows are retried.
  SQLITE_BUSY: 'locked',
  SQLITE_LOCKED: 'locked',
  SQLITE_FULL: 'full',
  SQLITE_READONLY: 'readonly',
  SQLITE_PERM: 'readonly',
  SQLITE_CORRUPT: 'corrupt',
  SQLITE_NOTADB: 'corrupt',
  SQLITE_IOERR: 'io',
  SQLITE_CANTOPEN: 'io',
};

/** Sorts any thrown value into a kind; the message is the driver's (it never quotes a URL). */
export function classifyStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  const kind = (typeof code === 'string' ? KIND_BY_CODE[code] : undefined) ?? kindFromText(message);
  return new StoreError(kind, message, { cause: err });
}

// Some failures (ENOSPC while growing the WAL) reach us as plain Node errors without an SQLite code.
function kindFromText(message: string): StoreErrorKind {
  if (/ENOSPC|disk is full/i.test(message)) return 'full';
  if (/EROFS|EACCES|readonly|read-only/i.test(message)) return 'readonly';
  if (/not a database|malformed/i.test(message)) return 'corrupt';
  if (/database is locked|SQLITE_BUSY/i.test(message)) return 'locked';
  return 'other';
}
