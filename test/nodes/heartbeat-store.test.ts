/**
 * heartbeat-store and streampulse-store in the real Node-RED runtime (node-red-node-test-helper):
 * heartbeats in, rows in the SQLite file, msg.uptime out; bad input to a Catch node; outages;
 * database faults shown in the status while messages keep flowing; health restored after a
 * restart through stream-probe. The HTTP API and auth: heartbeat-store-http.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Db } from '../../nodes/lib/store/db.js';
import type { Heartbeat } from '../../nodes/lib/heartbeat.js';
import type { NodeMessage } from '../../nodes/shared/node-red.js';
import { startFakeCamera } from '../fixtures/fake-camera.js';
import type { FakeCamera } from '../fixtures/fake-camera.js';
import * as helper from '../fixtures/node-red-helper.js';
import type { RegisterFunction } from '../fixtures/node-red-helper.js';
import { CAMERAS_ID, PROBE_ID, TAB, onTab, removeDir, streamsYaml, streampulseNodes, tempDir, waitFor, writeAtomically } from './harness.js';
import { STORE_ID, WRITER_ID, makeHeartbeat, storeFlow, storeNodes, storeService } from './store-harness.js';

const MINUTE = 60_000;

describe('heartbeat-store node in a Node-RED runtime', () => {
  let dir = '';
  let nodes: RegisterFunction[] = [];
  let out: NodeMessage[] = [];
  let caught: NodeMessage[] = [];

  const load = async (file = 'history.db'): Promise<void> => {
    await helper.load(nodes, storeFlow(file));
    out = [];
    caught = [];
    helper.getNode('out').on('input', (msg) => out.push(msg));
    helper.getNode('caught').on('input', (msg) => caught.push(msg));
  };
  const send = (payload: unknown, extra: Record<string, unknown> = {}): void => helper.getNode(WRITER_ID).receive({ payload, ...extra });
  const service = (): ReturnType<typeof storeService> => storeService((id) => helper.getNode(id));
  const query = async <T>(sql: string): Promise<T[]> => {
    const db = await Db.open(join(dir, 'history.db'), { readOnly: true });
    try {
      return await db.all<T>(sql);
    } finally {
      await db.close();
    }
  };

  before(async () => {
    nodes = [...(await storeNodes()), ...(await streampulseNodes())];
  });
  beforeEach(async () => {
    dir = await tempDir('streampulse-store-');
    helper.settings({ userDir: dir });
  });
  afterEach(async () => {
    await helper.unload();
    await removeDir(dir);
  });

  it('writes every heartbeat and passes it on with msg.uptime from durations', async () => {
    await load();
    const now = Date.now();
    // 20 min online, then 10 min offline (one outage), observed 30 min: 66.7 % by time.
    for (let t = now - 30 * MINUTE; t < now - 10 * MINUTE; t += 15_000) send(makeHeartbeat({ atMs: t }));
    for (let t = now - 10 * MINUTE; t < now; t += 15_000) send(makeHeartbeat({ atMs: t, code: 'timeout' }));
    await waitFor(() => out.length === 120, '120 heartbeats through the node', 5000);
    assert.deepEqual(out[0]?.uptime, { h24: null, d7: null, d30: null }, 'no history yet: null, not 0 or 100');
    assert.equal((out[0]?.payload as Heartbeat).stream.id, 'door', 'the message itself passes unchanged');

    assert.equal(await service().flush(), true);
    const [count] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM heartbeats');
    assert.equal(count?.n, 120);
    const [stream] = await query<{ state: string; last_code: string }>('SELECT state, last_code FROM streams');
    assert.deepEqual(stream, { state: 'offline', last_code: 'timeout' });

    await service().runMaintenance();
    await service().refreshUptimes();
    send(makeHeartbeat({ atMs: now, code: 'timeout' }));
    await waitFor(() => out.length === 121, 'one more heartbeat', 5000);
    const uptime = out[120]?.uptime as { h24: number; d7: number; d30: number };
    assert.ok(Math.abs(uptime.h24 - 66.67) < 1, `h24 ${uptime.h24} ≈ 66.7 % (20 of 30 minutes)`);
    assert.equal(uptime.d7, uptime.h24);
    assert.equal(uptime.d30, uptime.h24);
    assert.equal(caught.length, 0);
  });

  it('rejects what is not a Heartbeat through done(err), naming the field, and stores nothing', async () => {
    await load();
    const bad = makeHeartbeat({ atMs: Date.now() }) as unknown as Record<string, unknown>;
    send({ ...bad, health: { ...(bad.health as object), state: 'sleepy' } });
    send({ ...bad, ts: 'yesterday' });
    send('door');
    await waitFor(() => caught.length === 3, 'three errors at the Catch node', 5000);
    const errors = caught.map((msg) => (msg.error as { message: string }).message);
    assert.match(errors[0] ?? '', /payload\.health\.state: must be one of online, degraded, offline, unknown/);
    assert.match(errors[1] ?? '', /payload\.ts: must be an ISO-8601 time/);
    assert.match(errors[2] ?? '', /payload: must be object/);
    assert.equal(out.length, 0);
    assert.deepEqual([service().writerStats().queued, service().writerStats().written], [0, 0]);
  });

  it('opens an outage when a camera goes offline and ends it with msg.outage', async () => {
    await load();
    const t0 = Date.now() - 10 * MINUTE;
    send(makeHeartbeat({ atMs: t0, state: 'online', changed: true }));
    send(makeHeartbeat({ atMs: t0 + 15_000, code: 'refused', state: 'unknown' }));
    send(makeHeartbeat({ atMs: t0 + 30_000, code: 'refused', state: 'offline', since: t0 + 15_000, changed: true }));
    await waitFor(() => out.length === 3, 'three heartbeats', 5000);
    await service().flush();
    assert.deepEqual(await query('SELECT start_ts, end_ts, code FROM outages'), [{ start_ts: t0 + 15_000, end_ts: null, code: 'refused' }]);

    const end = t0 + 90_000;
    const outage = { streamId: 'door', start: new Date(t0 + 15_000).toISOString(), end: new Date(end).toISOString(), durationMs: 75_000, code: 'refused', message: 'refused' };
    send(makeHeartbeat({ atMs: end, state: 'online', since: end, changed: true }), { outage });
    await waitFor(() => out.length === 4, 'the heartbeat that ends the outage', 5000);
    await service().flush();
    assert.deepEqual(await query('SELECT start_ts, end_ts, duration_ms FROM outages'), [{ start_ts: t0 + 15_000, end_ts: end, duration_ms: 75_000 }]);
  });

  it('shows a damaged database in the status, once in the log, and keeps passing messages on', async () => {
    await writeFile(join(dir, 'broken.db'), 'this is not an SQLite database, it is a text file '.repeat(100));
    await load('broken.db');
    for (let i = 0; i < 5; i++) send(makeHeartbeat({ atMs: Date.now() - i * 15_000 }));
    await waitFor(() => out.length === 5, 'every message passes', 5000);
    await service().flush();
    await service().flush();
    const writer = helper.getNode(WRITER_ID);
    await waitFor(() => helper.statusesOf(writer).some((s) => s.fill === 'red' && /database damaged: 5 rows waiting/.test(s.text ?? '')), 'a red "damaged" status', 5000);
    const storeErrors = helper.errorsOf(helper.getNode(STORE_ID)).filter((e) => /database corrupt/.test(e));
    assert.equal(storeErrors.length, 1, `one log line for repeated failures: ${JSON.stringify(storeErrors)}`);
  });

  it('waits out a locked database and writes every row once the lock is gone', async () => {
    await load();
    send(makeHeartbeat({ atMs: Date.now() - 60_000 }));
    await waitFor(() => out.length === 1, 'first heartbeat', 5000);
    assert.equal(await service().flush(), true);
    const blocker = await Db.open(join(dir, 'history.db'));
    try {
      await blocker.exec('BEGIN EXCLUSIVE');
      for (let i = 0; i < 10; i++) send(makeHeartbeat({ atMs: Date.now() - 50_000 + i * 1000 }));
      await waitFor(() => out.length === 11, 'messages pass while the file is locked', 5000);
      assert.equal(await service().flush(), false, 'the flush fails after busy_timeout');
      const writer = helper.getNode(WRITER_ID);
      await waitFor(() => helper.statusesOf(writer).some((s) => /database locked: 10 rows waiting/.test(s.text ?? '')), 'a "locked" status', 5000);
      await blocker.exec('COMMIT');
    } finally {
      await blocker.close();
    }
    assert.equal(await service().flush(), true);
    const [count] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM heartbeats');
    assert.equal(count?.n, 11, 'nothing lost');
    const writer = helper.getNode(WRITER_ID);
    await waitFor(() => helper.statusesOf(writer).at(-1)?.fill === 'green', 'green again', 5000);
  });
});

describe('stream-probe with a streampulse-store keeps health across a restart', () => {
  let cam: FakeCamera | undefined;
  let dir = '';
  let nodes: RegisterFunction[] = [];

  before(async () => {
    cam = await startFakeCamera({ routes: {} });
    nodes = [...(await storeNodes()), ...(await streampulseNodes())];
    dir = await tempDir('streampulse-restart-');
    helper.settings({ userDir: dir });
  });
  after(async () => {
    await helper.unload();
    await cam?.close();
    await removeDir(dir);
  });

  it('restores "offline since" from the database instead of starting over', async () => {
    if (!cam) throw new Error('no camera');
    await writeAtomically(join(dir, 'streams.yaml'), streamsYaml([{ id: 'gone', name: 'Gone', url: cam.url('/status-404'), interval: 1, timeout: 2 }]));
    const flow = [
      { id: TAB, type: 'tab', label: 'restart' },
      { id: STORE_ID, type: 'streampulse-store', file: 'history.db' },
      { id: CAMERAS_ID, type: 'streampulse-cameras', source: 'file', path: 'streams.yaml' },
      onTab({ id: PROBE_ID, type: 'stream-probe', cameras: CAMERAS_ID, store: STORE_ID, wires: [['history', 'seen'], []] }),
      // Health is kept on the stream's row, which the store writes from the stream's heartbeats.
      onTab({ id: 'history', type: 'heartbeat-store', store: STORE_ID, serve: false, wires: [[]] }),
      onTab({ id: 'seen', type: 'helper' }),
    ];
    const run = async (until: (hb: Heartbeat) => boolean): Promise<Heartbeat> => {
      await helper.load(nodes, flow);
      const seen: Heartbeat[] = [];
      helper.getNode('seen').on('input', (msg) => seen.push(msg.payload as Heartbeat));
      await waitFor(() => seen.some(until), 'the heartbeat looked for', 15_000);
      const found = seen.find(until);
      await helper.unload();
      assert.ok(found);
      return found;
    };
    const wentOffline = await run((hb) => hb.health.state === 'offline');
    const db = await Db.open(join(dir, 'history.db'), { readOnly: true });
    const saved = await db.get<{ health_json: string | null }>("SELECT health_json FROM streams WHERE id = 'gone'").finally(() => db.close());
    assert.match(saved?.health_json ?? '', /"state":"offline"/, 'the health snapshot is in the streams table');
    const afterRestart = await run(() => true);
    assert.equal(afterRestart.health.state, 'offline', 'the first probe after the restart is already offline');
    assert.equal(afterRestart.health.since, wentOffline.health.since, 'since survives the restart');
    assert.equal(afterRestart.health.changed, false);
  });
});
