/**
 * heartbeat-store's HTTP API in a real Node-RED process (red.js with a settings file), where
 * RED.httpNode and httpNodeAuth exist as users have them. Heartbeats go in through a core
 * `http in` node (POST /feed → heartbeat-store → `http response`), which also returns
 * msg.uptime; the API, CSV and metrics are read back over HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Db } from '../../nodes/lib/store/db.js';
import { startNodeRed } from '../fixtures/node-red-process.js';
import type { NodeRedProcess } from '../fixtures/node-red-process.js';
import { makeHeartbeat } from './store-harness.js';

const bcrypt = createRequire(require.resolve('node-red'))('bcryptjs') as { hashSync(text: string, rounds: number): string };

function feedFlow(): unknown[] {
  const tab = 'feedtab';
  const at = (node: Record<string, unknown>): Record<string, unknown> => ({ z: tab, x: 100, y: 100, ...node });
  return [
    { id: tab, type: 'tab', label: 'feed' },
    { id: 'db', type: 'streampulse-store', file: 'history.db' },
    at({ id: 'feed', type: 'http in', url: '/feed', method: 'post', wires: [['store']] }),
    at({ id: 'store', type: 'heartbeat-store', store: 'db', serve: true, base: '/streampulse', wires: [['echo']] }),
    // `http response` sends msg.payload: put what the store added where the test can see it.
    at({ id: 'echo', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"uptime": uptime, "id": payload.stream.id}', tot: 'jsonata' }], wires: [['reply']] }),
    at({ id: 'reply', type: 'http response', statusCode: '', headers: {} }),
  ];
}

async function post(red: NodeRedProcess, body: unknown, auth?: string): Promise<Response> {
  return fetch(`${red.url}/feed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

function get(red: NodeRedProcess, path: string, auth?: string): Promise<Response> {
  return fetch(`${red.url}${path}`, { headers: auth ? { authorization: auth } : {}, signal: AbortSignal.timeout(10_000) });
}

describe('heartbeat-store HTTP API in a real Node-RED', () => {
  let red: NodeRedProcess | undefined;
  let userDir = '';
  const now = Date.now();

  before(async () => {
    userDir = await mkdtemp(join(tmpdir(), 'sp-http-'));
    red = await startNodeRed({ flows: feedFlow(), userDir });
    for (let i = 40; i > 0; i--) {
      const res = await post(red, makeHeartbeat({ id: 'door', name: 'Front door', atMs: now - i * 15_000, latencyMs: 100 + i }));
      assert.equal(res.status, 200);
    }
    const res = await post(red, makeHeartbeat({ id: 'evil', name: '=HYPERLINK("http://x")', atMs: now - 5000, code: 'refused', state: 'offline', changed: true }));
    const echoed = (await res.json()) as { uptime?: unknown; id?: string };
    assert.deepEqual(Object.keys(echoed.uptime as object).sort(), ['d30', 'd7', 'h24'], 'msg.uptime travels with the message');
    assert.equal(echoed.id, 'evil');
    // The writer flushes within a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });
  after(async () => {
    await red?.stop();
    await rm(userDir, { recursive: true, force: true });
  });

  it('lists every stream with its current state', async () => {
    if (!red) throw new Error('no Node-RED');
    const res = await get(red, '/streampulse/api/streams');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = JSON.stringify(await res.json());
    assert.match(body, /"door"/);
    assert.match(body, /"offline"/);
    assert.doesNotMatch(body, /s3cret/);
  });

  it('answers 400 naming the parameter, and 404 for an unknown stream', async () => {
    if (!red) throw new Error('no Node-RED');
    const bad = await get(red, '/streampulse/api/streams/door/heartbeats?from=yesterday');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /from/);
    const missing = await get(red, '/streampulse/api/streams/nobody');
    assert.equal(missing.status, 404);
  });

  it('streams a CSV export with formula cells neutralised', async () => {
    if (!red) throw new Error('no Node-RED');
    const res = await get(red, '/streampulse/api/export.csv?stream=evil&stream=door');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
    const text = await res.text();
    const lines = text.trim().split(/\r?\n/);
    assert.equal(lines.length, 1 + 41, 'a header and one line per heartbeat');
    assert.doesNotMatch(text, /(^|,)"?=HYPERLINK/m, 'no cell starts with =');
    assert.match(text, /'=HYPERLINK/);
  });

  it('serves Prometheus metrics', async () => {
    if (!red) throw new Error('no Node-RED');
    const res = await get(red, '/streampulse/metrics');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^# TYPE streampulse_up gauge$/m);
    assert.match(text, /^streampulse_up\{[^}]*stream="door"[^}]*\} 1$/m);
    assert.match(text, /^streampulse_up\{[^}]*stream="evil"[^}]*\} 0$/m);
    assert.match(text, /^streampulse_probes_total\{[^}]*stream="door"[^}]*\} 40$/m);
    assert.match(text, /^streampulse_store_bytes \d+/m);
  });

  it('flushes every row when Node-RED is stopped with SIGTERM', async () => {
    if (!red) throw new Error('no Node-RED');
    const res = await post(red, makeHeartbeat({ id: 'door', atMs: now }));
    assert.equal(res.status, 200);
    const { ms, code } = await red.stop();
    red = undefined;
    assert.equal(code, 0, 'a clean exit');
    const db = await Db.open(join(userDir, 'history.db'), { readOnly: true });
    try {
      const row = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM heartbeats');
      assert.equal(row?.n, 42, 'the heartbeat posted just before SIGTERM is on disk');
    } finally {
      await db.close();
    }
    assert.ok(ms < 5000, `stopped in ${ms} ms`);
  });
});

describe('heartbeat-store HTTP API behind httpNodeAuth', () => {
  let red: NodeRedProcess | undefined;
  const basic = `Basic ${Buffer.from('viewer:correct horse').toString('base64')}`;

  before(async () => {
    red = await startNodeRed({
      flows: feedFlow(),
      settings: `httpNodeAuth: { user: 'viewer', pass: ${JSON.stringify(bcrypt.hashSync('correct horse', 8))} },`,
    });
  });
  after(async () => {
    await red?.stop();
  });

  it('is never open when Node-RED protects its HTTP nodes', async () => {
    if (!red) throw new Error('no Node-RED');
    for (const path of ['/streampulse/api/streams', '/streampulse/metrics', '/streampulse/api/export.csv']) {
      const res = await get(red, path);
      assert.equal(res.status, 401, `${path} without credentials`);
      await res.body?.cancel();
    }
    const wrong = await get(red, '/streampulse/api/streams', `Basic ${Buffer.from('viewer:wrong').toString('base64')}`);
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await get(red, '/streampulse/api/streams', basic);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { count: number }).count, 0);
  });
});
