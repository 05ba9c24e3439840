/**
 * `npm start` for real: dist/nodes/cli/start.js as a child process with a temp STREAMPULSE_DATA,
 * GStreamer's RTSP server as the camera and Mosquitto as the broker. The default flow must load
 * and work (rows in SQLite, discovery, the dashboard's API), and a SIGTERM must end it with the
 * history flushed and `offline` published, within 5 s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sqlite3 from 'sqlite3';
import { GST_PASSWORD, GST_USER, gstUnavailableReason, startGstRtspServer } from '../fixtures/gst-rtsp.js';
import type { GstRtspServer } from '../fixtures/gst-rtsp.js';
import { mosquittoUnavailableReason, recordMessages, startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker, Recorder } from '../fixtures/mosquitto.js';
import { freePort } from '../fixtures/ports.js';

const START = join(__dirname, '..', '..', 'nodes', 'cli', 'start.js');
/** The promise made in the README and the issue. */
const STOP_LIMIT_MS = 5000;
/** Node-RED loading on a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000;
const ADMIN_PASSWORD = 'adm1n-pass-7731';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

interface Launched {
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with how the process ended and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  exited: Promise<Exit>;
}

const children = new Set<ChildProcess>();
const work = mkdtempSync(join(tmpdir(), 'streampulse-start-'));

function launch(env: Record<string, string>): Launched {
  // A clean environment: nothing of the test runner's (an MQTT_URL, a HOME) leaks in.
  const child = spawn(process.execPath, [START], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(work, 'home'), LANG: 'C.UTF-8', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (const check of [...waiters]) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let signalledAt = 0;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      for (const check of [...waiters]) check();
      resolve({ code, signal, ms: signalledAt === 0 ? 0 : Date.now() - signalledAt });
    });
  });
  return {
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = START_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out)) finish();
          else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${String(pattern)}`));
        };
        const timer = setTimeout(() => finish(new Error(`no ${String(pattern)} within ${timeoutMs} ms`)), timeoutMs);
        function finish(err?: Error): void {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(new Error(`${err.message}\n--- output ---\n${out}`));
          else resolve();
        }
        waiters.add(check);
        check();
      });
    },
    stop(signal = 'SIGTERM') {
      signalledAt = Date.now();
      child.kill(signal);
      // Bounded: a hung process is killed, and the test fails on its exit code.
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      return exited.finally(() => clearTimeout(kill));
    },
  };
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last instanceof Error ? ` (${last.message})` : ''}`);
}

function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
}

/** Reads the database as a second, read-only connection (WAL lets it read while the store writes). */
function query<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) {
        reject(err);
        return;
      }
      db.all(sql, (error, rows) => {
        db.close(() => (error ? reject(error) : resolve(rows as T[])));
      });
    });
  });
}

/** A WebSocket upgrade as raw HTTP; resolves with the status line of the answer. */
function upgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer to the upgrade')));
    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', reject);
  });
}

function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('start.js: the default flow with a real camera and broker', { skip: gstUnavailableReason() ?? mosquittoUnavailableReason() }, () => {
  let gst: GstRtspServer | undefined;
  let broker: MosquittoBroker | undefined;
  let recorder: Recorder | undefined;

  before(async () => {
    gst = await startGstRtspServer();
    broker = await startMosquitto();
    recorder = await recordMessages(broker.url(), ['homeassistant/#', 'streampulse/#']);
  });
  after(async () => {
    await recorder?.close();
    await broker?.dispose();
    await gst?.stop();
  });

  it('probes, stores, serves and publishes; SIGTERM flushes, publishes offline and exits 0 within 5 s', async () => {
    assert.ok(gst && broker && recorder);
    const data = join(work, 'full');
    const streams = join(work, 'full-streams', 'cams.yaml');
    const port = await freePort();
    // The user's streams file exists already; the default flow comes from the package.
    rmSync(join(work, 'full-streams'), { recursive: true, force: true });
    mkdirSync(join(work, 'full-streams'));
    writeFileSync(streams, [
      'heartbeat_seconds: 1',
      'streams:',
      '  - name: Front Door',
      `    url: ${gst.url('/digest')}`,
      `    username: ${GST_USER}`,
      '    password: ${CAM_PASSWORD}',
      '    verify: packet',
      '    timeout: 5',
      '',
    ].join('\n'));
    const app = launch({
      STREAMPULSE_DATA: data, STREAMPULSE_STREAMS: streams, PORT: String(port), MQTT_URL: broker.url(),
      CAM_PASSWORD: GST_PASSWORD, STREAMPULSE_ALLOWED_CLIENTS: '127.0.0.1,::1',
    });
    await app.waitFor(/\[streampulse\] dashboard: /);
    await app.waitFor(/Started flows/);
    const base = `http://127.0.0.1:${port}`;
    assert.match(app.output(), new RegExp(`editor: +http://localhost:${port}/`));
    assert.match(app.output(), new RegExp(`dashboard: +http://localhost:${port}/streampulse/`));
    assert.match(app.output(), /installed the default flow as .*flows\.json/);
    assert.ok(!app.output().includes('from the example'), 'the user\'s streams file is kept');

    // The node set, registered once with its examples, and the standard sqlite node beside it.
    const nodes = (await (await get(`${base}/nodes`, { Accept: 'application/json' })).json()) as { module: string; name: string; enabled: boolean }[];
    const ours = nodes.filter((n) => n.module === '@streampulse/node-red-streampulse');
    assert.deepEqual(ours.map((n) => n.name).sort(), ['health-publish', 'heartbeat-store', 'stream-probe', 'streampulse-broker', 'streampulse-cameras', 'streampulse-store']);
    assert.ok(ours.every((n) => n.enabled));
    assert.ok(nodes.some((n) => n.module === 'node-red-node-sqlite' && n.enabled), 'node-red-node-sqlite loads');
    const examples = await (await get(`${base}/library/examples/flows/@streampulse/node-red-streampulse`)).text();
    assert.match(examples, /home-assistant-mqtt/);
    // The icon beside each node's .js (an unknown icon would get Node-RED's default arrow instead).
    const icon = await get(`${base}/icons/@streampulse/node-red-streampulse/streampulse.svg`);
    assert.equal(icon.status, 200);
    assert.equal(await icon.text(), readFileSync(join(__dirname, '..', '..', '..', 'icons', 'streampulse.svg'), 'utf8'));

    // The dashboard's API answers, with the camera online.
    const api = await poll('camera online in the API', async () => {
      const res = await get(`${base}/streampulse/api/streams`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { streams: { id: string; state: string }[] };
      return body.streams.find((s) => s.id === 'front_door' && s.state === 'online');
    });
    assert.equal(api.id, 'front_door');

    // Rows in SQLite, read by a second connection.
    const db = join(data, 'streampulse.db');
    await poll('heartbeat rows', async () => {
      const [row] = await query<{ n: number }>(db, "SELECT count(*) AS n FROM heartbeats WHERE stream_id = 'front_door' AND ok = 1");
      return row !== undefined && row.n >= 2 ? row : undefined;
    });

    // Home Assistant discovery and the camera's state over MQTT.
    await recorder.waitFor((ms) => ms.some((m) => m.topic === 'homeassistant/device/streampulse_front_door/config' && m.retain && m.payload.includes('"cmps"')), 30_000);
    await recorder.waitFor((ms) => ms.some((m) => m.topic === 'streampulse/front_door/state' && m.payload.includes('"online"')), 30_000);
    await recorder.waitFor((ms) => ms.some((m) => m.topic === 'streampulse/status' && m.payload === 'online'), 30_000);

    // Stop while rows wait in memory for the next batch: they must reach the file.
    const received = await poll('rows waiting for a flush', async () => {
      const text = await (await get(`${base}/streampulse/metrics`)).text();
      return metric(text, 'streampulse_store_queue_rows') >= 1 ? metric(text, 'streampulse_probes_total') : undefined;
    });
    const before = recorder.messages.length;
    const exit = await app.stop('SIGTERM');
    assert.equal(exit.code, 0, app.output());
    assert.ok(exit.ms < STOP_LIMIT_MS, `stopped in ${exit.ms} ms`);
    assert.match(app.output(), /SIGTERM: stopping/);
    assert.match(app.output(), /stopped in \d+ ms/);

    await recorder.waitFor((ms) => ms.slice(before).some((m) => m.topic === 'streampulse/status' && m.payload === 'offline' && m.retain), 10_000);
    const late = await recordMessages(broker.url(), ['streampulse/status']);
    try {
      await late.waitFor((ms) => ms.some((m) => m.payload === 'offline' && m.retain), 10_000);
    } finally {
      await late.close();
    }
    const [stored] = await query<{ n: number }>(db, "SELECT count(*) AS n FROM heartbeats WHERE stream_id = 'front_door'");
    assert.ok((stored?.n ?? 0) >= received, `${stored?.n} rows stored, ${received} heartbeats received before the stop`);

    for (const secret of [GST_PASSWORD]) assert.ok(!app.output().includes(secret), `${secret} leaked into the log`);
  });
});

describe('start.js without a broker, with a login', () => {
  it('runs with publishing off and quiet, and asks for the login on the editor and the API', async () => {
    const port = await freePort();
    const data = join(work, 'login');
    const app = launch({ STREAMPULSE_DATA: data, PORT: String(port), HOST: '127.0.0.1', STREAMPULSE_ADMIN_USER: 'pat', STREAMPULSE_ADMIN_PASSWORD: ADMIN_PASSWORD });
    await app.waitFor(/Started flows/);
    assert.match(app.output(), /created .*streams\.yaml from the example/);
    assert.match(app.output(), /MQTT: MQTT_URL is not set, so publishing to Home Assistant is off/);
    const base = `http://127.0.0.1:${port}`;

    const anonymous = await get(`${base}/streampulse/api/streams`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
    const basic = { Authorization: `Basic ${Buffer.from(`pat:${ADMIN_PASSWORD}`).toString('base64')}` };
    assert.equal((await get(`${base}/streampulse/api/streams`, basic)).status, 200);
    assert.equal((await get(`${base}/streampulse/api/streams`, { Authorization: `Basic ${Buffer.from('pat:wrong').toString('base64')}` })).status, 401);
    // The editor's own login (adminAuth): the admin API needs a token, which the password gets.
    assert.equal(((await (await get(`${base}/auth/login`)).json()) as { type?: string }).type, 'credentials');
    assert.equal((await get(`${base}/flows`)).status, 401);
    const token = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'pat', password: ADMIN_PASSWORD }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(token.status, 200);

    // Give a reconnect storm time to show: a few seconds of running must not fill the log with MQTT.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const mqttLines = app.output().split('\n').filter((line) => /mqtt|broker|reconnect|ECONNREFUSED/i.test(line));
    assert.ok(mqttLines.length <= 3, mqttLines.join('\n'));
    const exit = await app.stop('SIGINT');
    assert.equal(exit.code, 0, app.output());
    assert.ok(exit.ms < STOP_LIMIT_MS, `stopped in ${exit.ms} ms`);
    assert.ok(!app.output().includes(ADMIN_PASSWORD), 'the admin password leaked into the log');
  });
});

describe('start.js refusing', () => {
  it('answers 403 to every client not in STREAMPULSE_ALLOWED_CLIENTS, WebSockets included', async () => {
    const port = await freePort();
    const app = launch({ STREAMPULSE_DATA: join(work, 'gate'), PORT: String(port), STREAMPULSE_ALLOWED_CLIENTS: '10.9.9.9' });
    await app.waitFor(/Started flows/);
    for (const path of ['/', '/flows', '/streampulse/api/streams', '/nothing-here']) {
      const res = await get(`http://127.0.0.1:${port}${path}`);
      assert.equal(res.status, 403, path);
      await res.arrayBuffer();
    }
    assert.match(await upgrade(port, '/comms'), /^HTTP\/1\.1 403 /);
    assert.match(app.output(), /refused HTTP from 127\.0\.0\.1: not in STREAMPULSE_ALLOWED_CLIENTS/);
    assert.equal(app.output().match(/refused HTTP from/g)?.length, 1, 'one line per address, not per request');
    const exit = await app.stop();
    assert.equal(exit.code, 0, app.output());
  });

  it('exits 1 naming PORT when it is invalid, before touching the data directory', async () => {
    const data = join(work, 'bad-port');
    const app = launch({ STREAMPULSE_DATA: data, PORT: 'http' });
    const exit = await app.exited;
    assert.equal(exit.code, 1);
    assert.match(app.output(), /cannot start; fix these environment variables:\n.*PORT: "http" is not a port number \(1 to 65535\)/);
    assert.equal(existsSync(data), false);
  });

  it('exits 1 naming PORT when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const app = launch({ STREAMPULSE_DATA: join(work, 'taken'), PORT: String(port) });
      const exit = await app.exited;
      assert.equal(exit.code, 1, app.output());
      assert.match(app.output(), new RegExp(`cannot start: PORT: port ${port} is already in use`));
      assert.ok(!/Started flows/.test(app.output()), 'no flow runs without its HTTP server');
      assert.deepEqual(readdirSync(join(work, 'taken')).includes('flows.json'), true);
    } finally {
      taken.close();
    }
  });
});
