/**
 * examples/history-with-sqlite-node.json in the real runtime with node-red-node-sqlite's own
 * `sqlite` node: the file heartbeat-store writes must answer the example's queries (worst cameras
 * by time online, longest outages) while the store keeps writing.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rollUpAll } from '../../nodes/lib/store/rollup.js';
import { BatchedWriter, openStore } from '../../nodes/lib/store/writer.js';
import type { NodeMessage } from '../../nodes/shared/node-red.js';
import { startFakeCamera } from '../fixtures/fake-camera.js';
import type { FakeCamera } from '../fixtures/fake-camera.js';
import * as helper from '../fixtures/node-red-helper.js';
import type { FlowNode, RegisterFunction } from '../fixtures/node-red-helper.js';
import { removeDir, streamsYaml, streampulseNodes, tempDir, waitFor, writeAtomically } from '../nodes/harness.js';
import { makeHeartbeat, storeNodes } from '../nodes/store-harness.js';

const sqliteNodes = createRequire(__filename)('node-red-node-sqlite/sqlite.js') as RegisterFunction;
const HOUR = 3_600_000;

/** Three hours of history: `good` always up, `flaky` down for the middle hour, `bad` down for two. */
async function fillHistory(file: string, now: number): Promise<void> {
  const writer = BatchedWriter.forFile(file, { maxRows: 5000 });
  const start = Math.floor(now / HOUR) * HOUR - 3 * HOUR;
  const downFor: Record<string, [number, number]> = { good: [0, 0], flaky: [HOUR, 2 * HOUR], bad: [0, 2 * HOUR] };
  for (const [id, [from, to]] of Object.entries(downFor)) {
    let since = start;
    let wasDown: boolean | undefined;
    for (let t = start; t < start + 3 * HOUR; t += 15_000) {
      const down = t - start >= from && t - start < to;
      const changed = down !== wasDown;
      if (changed) since = t;
      writer.enqueue(makeHeartbeat({ id, name: id.toUpperCase(), atMs: t, code: down ? 'timeout' : 'ok', since, changed }));
      if (changed && down) writer.enqueueOutage({ streamId: id, start: new Date(t).toISOString(), code: 'timeout', message: 'timeout' });
      if (changed && !down && wasDown !== undefined) {
        writer.enqueueOutage({ streamId: id, start: new Date(since - (to - from)).toISOString(), end: new Date(t).toISOString(), code: 'timeout', message: 'timeout' });
      }
      wasDown = down;
    }
  }
  await writer.close();
  const db = await openStore(file);
  try {
    await rollUpAll(db, now);
  } finally {
    await db.close();
  }
}

describe('examples/history-with-sqlite-node.json', () => {
  let cam: FakeCamera | undefined;
  let dir = '';
  const previousDb = process.env.STREAMPULSE_DB;

  before(async () => {
    cam = await startFakeCamera({ startOnKeyframe: true });
    dir = await tempDir('streampulse-sqlite-example-');
    process.env.STREAMPULSE_DB = join(dir, 'history.db');
    await fillHistory(process.env.STREAMPULSE_DB, Date.now());
    await writeAtomically(join(dir, 'streams.yaml'), streamsYaml([{ id: 'live', name: 'Live', url: cam.url('/ok'), interval: 1, timeout: 2 }]));
    helper.settings({ userDir: dir });
  });
  after(async () => {
    await helper.unload();
    await cam?.close();
    await removeDir(dir);
    if (previousDb === undefined) delete process.env.STREAMPULSE_DB;
    else process.env.STREAMPULSE_DB = previousDb;
  });

  it('answers "worst cameras" and "longest outages" from the file the store writes', async () => {
    const text = await readFile(join(__dirname, '..', '..', '..', 'examples', 'history-with-sqlite-node.json'), 'utf8');
    const flow = JSON.parse(text) as FlowNode[];
    assert.deepEqual(
      [...new Set(flow.map((n) => n.type))].sort(),
      ['comment', 'debug', 'heartbeat-store', 'inject', 'sqlite', 'sqlitedb', 'stream-probe', 'streampulse-cameras', 'streampulse-store'],
    );
    const nodes = [
      ...(await streampulseNodes()), ...(await storeNodes()), sqliteNodes,
      helper.coreNodes.inject, helper.coreNodes.debug, helper.coreNodes.comment,
    ];
    await helper.load(nodes, flow);
    const seen = (id: string): NodeMessage[] => {
      const got: NodeMessage[] = [];
      helper.getNode(id).on('input', (msg) => got.push(msg));
      return got;
    };
    const worst = seen('d1');
    const outages = seen('d2');
    const live = seen('d3');

    // The probe → store chain of the example writes while the queries read.
    await waitFor(() => live.length >= 1, 'a heartbeat of the live camera through the store', 10_000);
    assert.ok(live[0]?.uptime, 'msg.uptime on the store output');

    helper.getNode('i1').receive({});
    await waitFor(() => worst.length === 1, 'the worst-cameras answer', 10_000);
    const rows = worst[0]?.payload as { id: string; uptime_pct: number }[];
    assert.deepEqual(rows.map((r) => r.id), ['bad', 'flaky', 'good'], JSON.stringify(rows));
    assert.ok(Math.abs((rows[0]?.uptime_pct ?? 0) - 33.33) < 1, `bad ≈ 33 % online: ${JSON.stringify(rows[0])}`);
    assert.ok(Math.abs((rows[1]?.uptime_pct ?? 0) - 66.67) < 1, `flaky ≈ 67 %: ${JSON.stringify(rows[1])}`);
    assert.equal(rows[2]?.uptime_pct, 100);

    helper.getNode('i2').receive({});
    await waitFor(() => outages.length === 1, 'the outages answer', 10_000);
    const longest = outages[0]?.payload as { name: string; minutes: number; code: string }[];
    assert.deepEqual(longest.map((o) => [o.name, o.minutes, o.code]), [['BAD', 120, 'timeout'], ['FLAKY', 60, 'timeout']]);
  });
});
