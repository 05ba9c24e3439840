import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Db } from '../../../nodes/lib/store/db.js';
import { tempDir } from './fixtures/heartbeats.js';
import type { TempDir } from './fixtures/heartbeats.js';

const BATCH = 250;

describe('store survives kill -9 during writes', () => {
  let dir: TempDir;
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  it('loses at most the batch in flight and passes integrity_check', async () => {
    const file = dir.file('crash.db');
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'kill-writer.js'), file, String(BATCH)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let committed = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const killed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child committed only ${committed} batches: ${stderr}`)), 20_000);
      child.stdout.on('data', (chunk: Buffer) => {
        for (const match of chunk.toString().matchAll(/committed (\d+)/g)) committed = Number(match[1]);
        // Kill well into the run, while the next batch is being written.
        if (committed >= 8 && child.exitCode === null && !child.killed) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    try {
      await killed;
    } finally {
      if (child.exitCode === null && !child.killed) child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');

    const db = await Db.open(file);
    try {
      assert.deepEqual(await db.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
      const rows = (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM heartbeats'))?.n ?? -1;
      assert.equal(rows % BATCH, 0, `whole batches only (${rows} rows)`);
      // Every batch the child saw committed is there; at most the one in flight is missing.
      assert.ok(rows >= committed * BATCH, `${rows} rows, ${committed} batches committed`);
      assert.ok(rows <= (committed + 1) * BATCH);
    } finally {
      await db.close();
    }
  });
});
