import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Db } from '../../../nodes/lib/store/db.js';
import { BatchedWriter, openStore } from '../../../nodes/lib/store/writer.js';
import { heartbeat, tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';

const STREAMS = 40;
const PROBES = 1000; // per stream, 15 s apart, interleaved in time order as a monitor writes them

/** The heartbeats table as a rowid table with a (stream_id, ts) index: the layout we did not pick. */
const ROWID_LAYOUT = `
DROP TABLE heartbeats;
CREATE TABLE heartbeats (
  stream_id TEXT NOT NULL, ts INTEGER NOT NULL, ok INTEGER NOT NULL, code TEXT NOT NULL,
  latency_ms INTEGER NOT NULL, first_frame_ms INTEGER, state TEXT NOT NULL, codec TEXT, width INTEGER,
  height INTEGER, fps REAL, bitrate_kbps INTEGER, message TEXT);
CREATE UNIQUE INDEX heartbeats_by_stream ON heartbeats (stream_id, ts);`;

async function bytesPerRow(file: string, layout?: string): Promise<number> {
  const writer = new BatchedWriter(async () => {
    const db = await openStore(file);
    if (layout) await db.exec(layout);
    return db;
  }, { flushMs: 60_000, maxRows: 1_000_000 });
  for (let i = 0; i < PROBES; i++) {
    for (let s = 0; s < STREAMS; s++) writer.enqueue(heartbeat(`camera-${s}`, i, i % 50 === 49 ? 'timeout' : 'ok'));
    if (i % 40 === 39) await writer.flush();
  }
  await writer.close();
  const db = await Db.open(file);
  try {
    // Only the heartbeats table and its index: the other tables are near empty here.
    const row = await db.get<{ bytes: number }>(
      "SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name IN ('heartbeats', 'heartbeats_by_stream')",
    ).catch(() => undefined);
    const pages = await db.get<{ n: number }>('SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS n');
    return (row?.bytes ?? pages?.n ?? 0) / (STREAMS * PROBES);
  } finally {
    await db.close();
  }
}

describe('heartbeat row size', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  it('WITHOUT ROWID clustered on (stream_id, ts) is smaller than a rowid table plus index', async () => {
    const clustered = await bytesPerRow(dir.file('clustered.db'));
    const rowid = await bytesPerRow(dir.file('rowid.db'), ROWID_LAYOUT);
    console.log(`bytes per heartbeat row: WITHOUT ROWID ${clustered.toFixed(1)}, rowid + index ${rowid.toFixed(1)}`);
    assert.ok(clustered > 0 && clustered < rowid, `${clustered} < ${rowid}`);
    // 48 h of raw rows at 15 s is 11,520 per stream; keep that well under the 1.5 MB/stream goal.
    assert.ok(clustered * 11_520 < 1_000_000, `raw 48 h per stream: ${(clustered * 11_520 / 1e6).toFixed(2)} MB`);
  });
});
