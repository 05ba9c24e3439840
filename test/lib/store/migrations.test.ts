import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Db } from '../../../nodes/lib/store/db.js';
import { StoreError } from '../../../nodes/lib/store/errors.js';
import { migrate, userVersion } from '../../../nodes/lib/store/migrations.js';
import { SCHEMA_VERSION } from '../../../nodes/lib/store/schema.js';
import { openStore } from '../../../nodes/lib/store/writer.js';
import { tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';

describe('store schema and migrations', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  it('creates every table, index and view on an empty file, with WAL and the pragmas set', async () => {
    const db = await openStore(dir.file('fresh.db'));
    try {
      assert.equal(await userVersion(db), SCHEMA_VERSION);
      const names = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")).map((r) => r.name);
      assert.deepEqual(names, [
        'heartbeats', 'outages', 'outages_by_start', 'rollup_day', 'rollup_hour', 'rollup_minute', 'streams', 'v_stream_uptime_24h',
      ]);
      assert.deepEqual(await db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
      assert.deepEqual(await db.get('PRAGMA synchronous'), { synchronous: 1 });
      assert.deepEqual(await db.get('PRAGMA foreign_keys'), { foreign_keys: 1 });
      assert.deepEqual(await db.get('PRAGMA busy_timeout'), { timeout: 5000 });
    } finally {
      await db.close();
    }
  });

  it('re-opens an up-to-date file without changing it', async () => {
    const file = dir.file('again.db');
    const first = await openStore(file);
    await first.run("INSERT INTO streams (id, name, protocol, url, first_seen, last_seen, state, state_since) VALUES ('a','A','rtsp','rtsp://a/',1,2,'online',1)");
    await first.close();
    const db = await Db.open(file);
    try {
      assert.deepEqual(await migrate(db), [SCHEMA_VERSION, SCHEMA_VERSION]);
      assert.deepEqual(await db.all('SELECT id FROM streams'), [{ id: 'a' }]);
    } finally {
      await db.close();
    }
  });

  it('rolls a failing migration back whole and refuses files from a newer version', async () => {
    const db = await Db.open(dir.file('broken.db'));
    try {
      await assert.rejects(migrate(db, ['CREATE TABLE t (x); CREATE TABLE t (y);']), StoreError);
      assert.equal(await userVersion(db), 0);
      assert.deepEqual(await db.all("SELECT name FROM sqlite_master WHERE name = 't'"), []);
      await db.exec('PRAGMA user_version = 99');
      await assert.rejects(migrate(db), /newer than this version supports/);
    } finally {
      await db.close();
    }
  });

  it('reports a garbage file as corrupt when it is opened', async () => {
    const file = dir.file('garbage.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    await assert.rejects(Db.open(file), (err: unknown) => err instanceof StoreError && err.kind === 'corrupt');
  });

  it('computes 24 h uptime from durations in the v_stream_uptime_24h view', async () => {
    const db = await openStore(dir.file('view.db'));
    try {
      const now = Date.now() - 3_600_000;
      await db.run("INSERT INTO streams (id, name, protocol, url, first_seen, last_seen, state, state_since) VALUES ('v','V','rtsp','rtsp://v/',?,?,'online',?)", [now, now, now]);
      // online 0-60 s, offline 60-90 s, online 90-120 s: 90 s of 120 s observed = 75 %.
      for (const [offset, state] of [[0, 'online'], [60_000, 'offline'], [90_000, 'online'], [120_000, 'online']] as const) {
        await db.run("INSERT INTO heartbeats (stream_id, ts, ok, code, latency_ms, state) VALUES ('v', ?, 1, 'ok', 5, ?)", [now + offset, state]);
      }
      assert.deepEqual(await db.get('SELECT stream_id, online_ms, observed_ms, uptime_pct FROM v_stream_uptime_24h'), {
        stream_id: 'v', online_ms: 90_000, observed_ms: 120_000, uptime_pct: 75,
      });
    } finally {
      await db.close();
    }
  });
});
