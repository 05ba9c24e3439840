/**
 * The dashboard in a real Node-RED process (red.js, settings file, our package installed in the
 * user directory): the page and its files under the store's base, api/info with the CSRF token
 * and the stream-probe's offline threshold, and the streams file editor writing the file of the
 * streampulse-cameras config node — refused without the token, saved with it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../fixtures/ports.js';
import { startNodeRed } from '../fixtures/node-red-process.js';
import type { NodeRedProcess } from '../fixtures/node-red-process.js';

const PASSWORD = 'hunter2-secret';

function dashboardFlow(): unknown[] {
  const tab = 'dashtab';
  const at = (node: Record<string, unknown>): Record<string, unknown> => ({ z: tab, x: 100, y: 100, ...node });
  return [
    { id: tab, type: 'tab', label: 'dashboard' },
    { id: 'db', type: 'streampulse-store', file: 'history.db' },
    { id: 'cams', type: 'streampulse-cameras', source: 'file', path: 'streams.yaml' },
    at({ id: 'probe', type: 'stream-probe', cameras: 'cams', failuresToOffline: 3, wires: [['store'], []] }),
    at({ id: 'store', type: 'heartbeat-store', store: 'db', cameras: 'cams', serve: true, base: '/streampulse', wires: [[]] }),
  ];
}

function get(red: NodeRedProcess, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${red.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
}

describe('dashboard in a real Node-RED', () => {
  let red: NodeRedProcess | undefined;
  let userDir = '';
  let streamsFile = '';

  before(async () => {
    userDir = await mkdtemp(join(tmpdir(), 'sp-dash-red-'));
    streamsFile = join(userDir, 'streams.yaml');
    // A port nobody listens on: the probe fails fast, which is all this test needs of it.
    const closed = await freePort();
    await writeFile(streamsFile, `# cameras\nstreams:\n  - name: Porch\n    url: rtsp://127.0.0.1:${closed}/live\n    username: admin\n    password: ${PASSWORD}\n    interval: 60\n`);
    red = await startNodeRed({ flows: dashboardFlow(), userDir });
  });
  after(async () => {
    await red?.stop();
    await rm(userDir, { recursive: true, force: true });
  });

  it('serves the page at /streampulse/ (and redirects /streampulse there)', async () => {
    if (!red) throw new Error('no Node-RED');
    const bare = await get(red, '/streampulse', { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), 'streampulse/');
    await bare.body?.cancel();
    const page = await get(red, '/streampulse/');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy') ?? '', /^default-src 'self';.*script-src 'self'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();
    assert.match(html, /<html/i);
    // Every script the page loads is served from ui/ with a JavaScript type.
    const scripts = [...html.matchAll(/src="(ui\/[a-z0-9._-]+\.js)"/g)].map((m) => m[1] ?? '');
    assert.ok(scripts.length > 0, 'the page loads at least one script from ui/');
    for (const src of scripts) {
      const res = await get(red, `/streampulse/${src}`);
      assert.equal(res.status, 200, src);
      assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8', src);
      await res.body?.cancel();
    }
  });

  it('gives api/info with a CSRF token, the probe\'s threshold and the editable streams file', async () => {
    if (!red) throw new Error('no Node-RED');
    const res = await get(red, '/streampulse/api/info');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { csrfToken: string; version: string; health: unknown; streamsFile: unknown; timezone: string };
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{32,}$/);
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(body.health, { failuresToOffline: 3 });
    assert.deepEqual(body.streamsFile, { editable: true, name: 'streams.yaml' });
    assert.equal(typeof body.timezone, 'string');
  });

  it('refuses a save without the token (403) and saves with it (200), changing the file on disk', async () => {
    if (!red) throw new Error('no Node-RED');
    const loaded = await get(red, '/streampulse/api/streams-file');
    const raw = await loaded.text();
    assert.equal(loaded.status, 200);
    assert.ok(!raw.includes(PASSWORD), 'the password never reaches the page');
    const { text, etag } = JSON.parse(raw) as { text: string; etag: string };
    const edited = text.replace('interval: 60', 'interval: 90');
    assert.notEqual(edited, text);
    const put = (headers: Record<string, string>): Promise<Response> =>
      get(red as NodeRedProcess, '/streampulse/api/streams-file', { method: 'PUT', headers, body: JSON.stringify({ text: edited, etag }) });

    const refused = await put({ 'content-type': 'application/json' });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: string }).error, /CSRF/);
    assert.match(await readFile(streamsFile, 'utf8'), /interval: 60/, 'unchanged after the refused save');

    const { csrfToken } = (await (await get(red, '/streampulse/api/info')).json()) as { csrfToken: string };
    const saved = await put({ 'content-type': 'application/json', 'x-streampulse-csrf': csrfToken });
    const answer = await saved.text();
    assert.equal(saved.status, 200, answer);
    assert.ok(!answer.includes(PASSWORD));
    const onDisk = await readFile(streamsFile, 'utf8');
    assert.match(onDisk, /interval: 90/);
    assert.match(onDisk, new RegExp(`password: ${PASSWORD}\\n`), 'the real password is kept on disk');
    assert.match(onDisk, /^# cameras\n/);
  });

  it('refuses a request body over 1 MiB with 413', async () => {
    if (!red) throw new Error('no Node-RED');
    const res = await get(red, '/streampulse/api/streams-file/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) }),
    });
    assert.equal(res.status, 413);
    await res.body?.cancel();
    const small = await get(red, '/streampulse/api/streams-file/check', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'streams: []\n' }),
    });
    assert.equal(small.status, 200);
    assert.equal(((await small.json()) as { ok: boolean }).ok, true);
  });
});

describe('dashboard request bodies when Node-RED parses none (httpAdminRoot elsewhere)', () => {
  let red: NodeRedProcess | undefined;
  let userDir = '';

  before(async () => {
    userDir = await mkdtemp(join(tmpdir(), 'sp-dash-raw-'));
    await writeFile(join(userDir, 'streams.yaml'), 'streams: []\n');
    red = await startNodeRed({ flows: dashboardFlow(), userDir, settings: "httpAdminRoot: '/admin'," });
  });
  after(async () => {
    await red?.stop();
    await rm(userDir, { recursive: true, force: true });
  });

  it('reads the raw body: a check works, more than 1 MiB is 413', async () => {
    if (!red) throw new Error('no Node-RED');
    const ok = await get(red, '/streampulse/api/streams-file/check', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'streams: []\n' }),
    });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { ok: boolean }).ok, true);
    const big = await get(red, '/streampulse/api/streams-file/check', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) }),
    }).catch((err: unknown) => err);
    // The server answers 413 and closes; a client still uploading may see the reset instead.
    if (big instanceof Response) {
      assert.equal(big.status, 413);
      await big.body?.cancel();
    } else assert.match(String((big as { cause?: unknown }).cause ?? big), /ECONNRESET|EPIPE|other side closed|socket/i);
  });

  it('cuts off a body that does not arrive within 10 s with 408', async () => {
    if (!red) throw new Error('no Node-RED');
    const socket = connect(red.port, '127.0.0.1');
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('POST /streampulse/api/streams-file/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"text":');
    const started = Date.now();
    const timer = setTimeout(() => socket.destroy(), 20_000);
    await closed;
    clearTimeout(timer);
    assert.match(reply, /^HTTP\/1\.1 408 /, reply.slice(0, 200));
    const ms = Date.now() - started;
    assert.ok(ms >= 9000 && ms < 15_000, `answered after ${ms} ms`);
  });
});
