import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Db } from '../../../nodes/lib/store/db.js';
import type { StoreErrorKind } from '../../../nodes/lib/store/errors.js';
import { BatchedWriter, openStore, readHealthSnapshots } from '../../../nodes/lib/store/writer.js';
import type { WriterOptions } from '../../../nodes/lib/store/writer.js';
import { T0, heartbeat, tempDir, waitFor } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';

type ErrorLog = [StoreErrorKind, string][];

async function count(file: string, sql = 'SELECT COUNT(*) AS n FROM heartbeats'): Promise<number> {
  const db = await Db.open(file);
  try {
    return (await db.get<{ n: number }>(sql))?.n ?? -1;
  } finally {
    await db.close();
  }
}

/** A migrated file, closed again (so a writer can open it read-only). */
async function prepared(file: string): Promise<string> {
  await (await openStore(file)).close();
  return file;
}

describe('BatchedWriter', () => {
  let dir: TempDir;
  let n = 0;
  const next = (): string => dir.file(`w${n++}.db`);
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  it('flushes on its own after flushMs', async () => {
    const file = next();
    const writer = BatchedWriter.forFile(file, { flushMs: 50, maxRows: 1000 });
    for (let i = 0; i < 3; i++) writer.enqueue(heartbeat('a', i));
    assert.equal(writer.stats().queued, 3);
    assert.ok(await waitFor(() => writer.stats().written === 3, 2000), 'timer flush happened');
    assert.equal(await count(file), 3);
    await writer.close();
  });

  it('flushes at once when maxRows are queued, not before', async () => {
    const file = next();
    const writer = BatchedWriter.forFile(file, { flushMs: 60_000, maxRows: 10 });
    for (let i = 0; i < 9; i++) writer.enqueue(heartbeat('a', i));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(writer.stats().written, 0);
    writer.enqueue(heartbeat('a', 9));
    assert.ok(await waitFor(() => writer.stats().written === 10, 2000), 'size flush happened');
    await writer.close();
    assert.equal(await count(file), 10);
  });

  it('writes 10,000 heartbeats in few transactions and leaves a sound file', async () => {
    const file = next();
    let begins = 0;
    const writer = new BatchedWriter(async () => {
      const db = await openStore(file);
      db.onTrace((sql) => {
        if (/^BEGIN/i.test(sql)) begins++;
      });
      return db;
    });
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) writer.enqueue(heartbeat(`cam${i % 20}`, i));
    const enqueueMs = performance.now() - started;
    await writer.flush();
    await writer.close();
    assert.ok(begins >= 1 && begins <= 3, `transactions: ${begins}`);
    assert.ok(enqueueMs < 1000, `enqueue is cheap (${enqueueMs.toFixed(0)} ms)`);
    assert.equal(await count(file), 10_000);
    assert.equal(await count(file, 'SELECT COUNT(*) AS n FROM streams'), 20);
    const db = await Db.open(file);
    try {
      assert.deepEqual(await db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      await db.close();
    }
  });

  it('keeps the newest state per stream, outages and health snapshots', async () => {
    const file = next();
    const writer = BatchedWriter.forFile(file, { flushMs: 60_000 });
    writer.enqueue(heartbeat('s', 5, 'timeout'));
    writer.enqueue(heartbeat('s', 4));
    await writer.flush();
    writer.enqueue(heartbeat('s', 1)); // a late, older heartbeat must not win
    writer.enqueueOutage({ streamId: 's', start: new Date(T0).toISOString(), code: 'timeout', message: 'timeout' });
    await writer.flush();
    const end = new Date(T0 + 90_000).toISOString();
    writer.enqueueOutage({ streamId: 's', start: new Date(T0).toISOString(), end, durationMs: 90_000, code: 'refused', message: 'refused' });
    const since = new Date(T0 + 75_000).toISOString();
    writer.saveHealth({ version: 1, streamId: 's', state: 'offline', since, failStreak: 2, goodStreak: 0, partialStreak: 0, codes: [], changes: [since], flapping: false });
    await writer.close();
    const db = await Db.open(file);
    try {
      assert.deepEqual(await db.get('SELECT first_seen, last_seen, state, last_code FROM streams'), {
        first_seen: T0 + 15_000, last_seen: T0 + 75_000, state: 'offline', last_code: 'timeout',
      });
      assert.deepEqual(await db.all('SELECT start_ts, end_ts, duration_ms, code FROM outages'), [
        { start_ts: T0, end_ts: T0 + 90_000, duration_ms: 90_000, code: 'refused' },
      ]);
      assert.deepEqual(await db.all('SELECT ts, message FROM heartbeats WHERE ok = 0'), [{ ts: T0 + 75_000, message: 'timeout while probing' }]);
      const snaps = await readHealthSnapshots(db);
      assert.equal(snaps.s?.since, since);
    } finally {
      await db.close();
    }
  });

  it('never writes a password to the file', async () => {
    const file = next();
    const writer = BatchedWriter.forFile(file);
    const hb = heartbeat('p', 0, 'auth_failed', 'rtsp://admin:Sup3rSecretPw@cam.lan/live?token=T0kenValue');
    hb.message = 'auth failed for rtsp://admin:Sup3rSecretPw@cam.lan/live';
    writer.enqueue(hb);
    await writer.close();
    assert.ok(!existsSync(`${file}-wal`) || readFileSync(`${file}-wal`).length === 0, 'WAL checkpointed on close');
    const bytes = readFileSync(file).toString('latin1');
    assert.ok(bytes.includes('cam.lan'), 'the row was written');
    assert.ok(!bytes.includes('Sup3rSecretPw') && !bytes.includes('T0kenValue'), 'no secret in the file');
  });

  it('reports a read-only file as readonly, keeps the rows and does not throw', async () => {
    const file = await prepared(next());
    const errors: ErrorLog = [];
    const writer = BatchedWriter.forFile(file, { readOnly: true, onError: (kind, message) => errors.push([kind, message]) });
    writer.enqueue(heartbeat('r', 0));
    assert.equal(await writer.flush(), false);
    assert.equal(await writer.flush(), false);
    assert.deepEqual(errors.map(([kind]) => kind), ['readonly'], 'reported once, not once per retry');
    assert.equal(writer.stats().queued, 1);
    assert.equal(writer.stats().failedFlushes, 2);
    await writer.close();
    assert.equal(await count(file), 0);
  });

  it('reports a lock held past busy_timeout as locked and writes the rows once it is released', async () => {
    const file = await prepared(next());
    const blocker = await Db.open(file);
    const errors: ErrorLog = [];
    let recovered = 0;
    const options: WriterOptions = { onError: (kind, message) => errors.push([kind, message]), onRecover: () => recovered++ };
    const writer = BatchedWriter.forFile(file, { ...options, busyTimeoutMs: 100, flushMs: 60_000 });
    try {
      await blocker.exec('BEGIN EXCLUSIVE');
      await blocker.run("INSERT INTO streams (id, name, protocol, url, first_seen, last_seen, state, state_since) VALUES ('x','X','rtsp','rtsp://x/',1,1,'unknown',1)");
      writer.enqueue(heartbeat('l', 0));
      writer.enqueue(heartbeat('l', 1));
      const started = Date.now();
      assert.equal(await writer.flush(), false);
      assert.ok(Date.now() - started >= 90, 'waited for the lock first');
      assert.deepEqual(errors.map(([kind]) => kind), ['locked']);
      await blocker.exec('COMMIT');
      assert.equal(await writer.flush(), true);
      assert.equal(recovered, 1);
    } finally {
      await writer.close();
      await blocker.close();
    }
    assert.equal(await count(file), 2);
  });

  it('reports a full disk as full and keeps the rows', async () => {
    const file = await prepared(next());
    const errors: ErrorLog = [];
    const writer = new BatchedWriter(
      async () => {
        const db = await openStore(file);
        // max_page_count makes SQLite answer SQLITE_FULL exactly as a full disk would.
        const pages = await db.get<{ page_count: number }>('PRAGMA page_count');
        await db.get(`PRAGMA max_page_count = ${pages?.page_count ?? 1}`);
        return db;
      },
      { flushMs: 60_000, maxRows: 100_000, onError: (kind, message) => errors.push([kind, message]) },
    );
    for (let i = 0; i < 2000; i++) writer.enqueue(heartbeat(`f${i % 5}`, i, 'timeout'));
    assert.equal(await writer.flush(), false);
    assert.deepEqual(errors.map(([kind]) => kind), ['full']);
    assert.equal(writer.stats().queued, 2000);
    await writer.close();
    assert.equal(await count(file), 0, 'the failed transaction was rolled back');
  });

  it('reports a corrupt file as corrupt and does not throw', async () => {
    const file = next();
    writeFileSync(file, Buffer.alloc(4096, 0xa5));
    const errors: ErrorLog = [];
    const writer = BatchedWriter.forFile(file, { onError: (kind, message) => errors.push([kind, message]) });
    writer.enqueue(heartbeat('c', 0));
    assert.equal(await writer.flush(), false);
    assert.equal(errors[0]?.[0], 'corrupt');
    await writer.close();
  });

  it('bounds the queue while the database fails, dropping the oldest rows with a count', async () => {
    const file = await prepared(next());
    const drops: number[] = [];
    const writer = BatchedWriter.forFile(file, { readOnly: true, maxRows: 100, maxQueue: 1000, flushMs: 60_000, onDrop: (_d, total) => drops.push(total) });
    for (let i = 0; i < 1500; i++) writer.enqueue(heartbeat('q', i));
    await writer.flush();
    assert.equal(writer.stats().queued, 1000);
    assert.equal(writer.stats().dropped, 500);
    assert.equal(drops.at(-1), 500);
    await writer.close();
  });
});
