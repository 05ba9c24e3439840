/**
 * The app's container entry (nodes/cli/addon.ts) as s6 runs it, up to the spawn: a real process,
 * a real HTTP server playing the Supervisor, a temp /data, and a stand-in start script that
 * prints the names (not values) of its environment and the mode of the streams file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseStreamsConfig } from '../../nodes/lib/config/index.js';
import { NODE_FLAGS } from '../../nodes/lib/launch/node-flags.js';

const CLI = join(__dirname, '..', '..', 'nodes', 'cli', 'addon.js');
const TOKEN = 'sup-token-71c3';
const BROKER_PASSWORD = 'br0ker-pw-55';
const CAMERA_PASSWORD = 'cam-pw-93';

/** Stand-in for start.js. FAKE_MODE=exit7 prints and exits 7; FAKE_MODE=wait waits for SIGTERM. */
const FAKE_START = `
const fs = require('node:fs');
const keys = Object.keys(process.env).filter((k) => /^(STREAMPULSE_|MQTT_|PORT$|HOST$|SUPERVISOR_TOKEN$|HASSIO_TOKEN$)/.test(k)).sort();
console.log('KEYS=' + keys.join(','));
console.log('MQTT_URL=' + (process.env.MQTT_URL || ''));
console.log('EXECARGV=' + process.execArgv.join(' '));
const file = process.env.STREAMPULSE_STREAMS;
console.log('MODE=' + (file && fs.existsSync(file) ? (fs.statSync(file).mode & 0o777).toString(8) : 'none'));
if (process.env.FAKE_MODE === 'wait') {
  process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(0); });
  setInterval(() => {}, 1000);
  console.log('READY');
} else {
  process.exit(7);
}
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('addon CLI', () => {
  let server: Server;
  let supervisorUrl: string;
  let answer: (res: ServerResponse) => void;
  let work: string;
  let fakeStart: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'streampulse-addon-'));
    fakeStart = join(work, 'fake-start.js');
    writeFileSync(fakeStart, FAKE_START);
    server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}` || req.url !== '/services/mqtt') {
        res.writeHead(401).end('401: Unauthorized');
        return;
      }
      answer(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    supervisorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  const brokerAnswer = (res: ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ result: 'ok', data: { host: '127.0.0.1', port: 1883, ssl: false, username: 'addons', password: BROKER_PASSWORD } }));
  };

  /** A fresh /data with the given options.json. */
  function dataDir(options: unknown): string {
    const dir = mkdtempSync(join(work, 'data-'));
    writeFileSync(join(dir, 'options.json'), typeof options === 'string' ? options : JSON.stringify(options));
    return dir;
  }

  function run(data: string, env: Record<string, string | undefined>, onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
    return new Promise((resolve, reject) => {
      const childEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...process.env, STREAMPULSE_ADDON_DATA: data, STREAMPULSE_ADDON_OPTIONS: join(data, 'options.json'), STREAMPULSE_START_SCRIPT: fakeStart, STREAMPULSE_SUPERVISOR_URL: supervisorUrl, SUPERVISOR_TOKEN: TOKEN, ...env })) {
        if (v !== undefined) childEnv[k] = v;
      }
      const proc = spawn(process.execPath, [CLI], { env: childEnv });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      proc.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        onStdout?.(stdout, (s) => proc.kill(s));
      });
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      proc.once('error', reject);
      proc.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  const keysOf = (r: Run): string[] => /KEYS=(.*)/.exec(r.stdout)?.[1]?.split(',').filter(Boolean) ?? [];

  function assertNoSecrets(r: Run): void {
    for (const secret of [TOKEN, BROKER_PASSWORD, CAMERA_PASSWORD]) {
      assert.ok(!(r.stdout + r.stderr).includes(secret), `${secret} leaked:\n${r.stdout}${r.stderr}`);
    }
  }

  it('writes the streams file (0600), hands the broker to start.js and exits with its code', async () => {
    answer = brokerAnswer;
    const data = dataDir({ cameras: [{ name: 'Door', url: 'rtsp://192.0.2.1/x', username: 'admin', password: CAMERA_PASSWORD }], log_level: 'debug' });
    const r = await run(data, {});
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.deepEqual(keysOf(r), [
      'MQTT_PASSWORD',
      'MQTT_URL',
      'MQTT_USERNAME',
      'PORT',
      'STREAMPULSE_ALLOWED_CLIENTS',
      'STREAMPULSE_DATA',
      'STREAMPULSE_LOG_LEVEL',
      'STREAMPULSE_STREAMS',
    ]);
    assert.match(r.stdout, /MQTT_URL=mqtt:\/\/127\.0\.0\.1:1883/);
    assert.match(r.stdout, /MODE=600/);
    assert.match(r.stdout, new RegExp(`EXECARGV=${NODE_FLAGS.join(' ')}\\n`), 'Node-RED runs with the memory flags');
    assert.match(r.stdout, /1 camera configured/);
    assertNoSecrets(r);
    const file = join(data, 'streams.yaml');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(data, 'streampulse')).isDirectory(), true);
    const parsed = parseStreamsConfig(readFileSync(file, 'utf8'), file, {});
    assert.ok(parsed.ok);
    if (parsed.ok) assert.equal(parsed.config.streams[0]?.password, CAMERA_PASSWORD);
  });

  it('replaces an existing streams file atomically and leaves no temp file behind', async () => {
    answer = brokerAnswer;
    const data = dataDir({ cameras: [] });
    writeFileSync(join(data, 'streams.yaml'), 'streams: [old]\n', { mode: 0o644 });
    const r = await run(data, {});
    assert.equal(r.code, 7, r.stderr);
    assert.match(readFileSync(join(data, 'streams.yaml'), 'utf8'), /^streams: \[\]$/m);
    assert.equal(statSync(join(data, 'streams.yaml')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(data).sort(), ['options.json', 'streampulse', 'streams.yaml']);
    assert.match(r.stdout, /No cameras configured yet/);
  });

  it('exits 1 with one clear line per problem and starts nothing when the options are invalid', async () => {
    answer = brokerAnswer;
    const data = dataDir({ cameras: [{ name: 'Door', url: 'ftp://192.0.2.1/x', password: CAMERA_PASSWORD }, { name: 'Yard' }] });
    const r = await run(data, {});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the app options are invalid; fix them on the Configuration tab:/);
    assert.match(r.stderr, /^\[streampulse\] {3}cameras\[0\]\.url: must be rtsp:\/\/, rtsps:\/\/, http:\/\/ or https:\/\/$/m);
    assert.match(r.stderr, /^\[streampulse\] {3}cameras\[1\]\.url: is required$/m);
    assert.ok(!r.stdout.includes('KEYS='), 'start.js must not run');
    assert.deepEqual(readdirSync(data), ['options.json']);
    assertNoSecrets(r);
  });

  it('exits 1 clearly when options.json is missing or not JSON', async () => {
    const data = dataDir('{"cameras": [ {"password": "' + CAMERA_PASSWORD + '" ');
    const bad = await run(data, {});
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /options\.json is not valid JSON/);
    assertNoSecrets(bad);
    const missing = await run(data, { STREAMPULSE_ADDON_OPTIONS: join(data, 'nope.json') });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read the app options at .*nope\.json \(ENOENT\)/);
  });

  it('starts without MQTT, saying why, when there is no token or no broker', async () => {
    const data = dataDir({ cameras: [] });
    const noToken = await run(data, { SUPERVISOR_TOKEN: undefined });
    assert.equal(noToken.code, 7);
    assert.match(noToken.stdout, /SUPERVISOR_TOKEN is not set .* skipping broker discovery/);
    assert.deepEqual(keysOf(noToken).filter((k) => k.startsWith('MQTT_')), []);

    answer = (res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ result: 'error', message: 'Service not enabled' }));
    };
    const noBroker = await run(data, {});
    assert.equal(noBroker.code, 7);
    assert.match(noBroker.stdout, /no broker is offered by the Supervisor, so publishing to Home Assistant is off/);
    assert.deepEqual(keysOf(noBroker).filter((k) => k.startsWith('MQTT_')), []);

    const refused = await run(data, { SUPERVISOR_TOKEN: 'wrong-token' });
    assert.equal(refused.code, 7);
    assert.match(refused.stderr, /could not get the broker from the Supervisor: the Supervisor refused the request \(HTTP 401\); publishing to Home Assistant is off/);
    assert.ok(!(refused.stdout + refused.stderr).includes('wrong-token'));
  });

  it('never passes the Supervisor token or stale contract variables to start.js', async () => {
    answer = brokerAnswer;
    const data = dataDir({ cameras: [] });
    const r = await run(data, { MQTT_URL: 'mqtt://stale:1', HOST: '10.9.9.9', STREAMPULSE_HTTP_ROOT: '/stale' });
    assert.equal(r.code, 7);
    const keys = keysOf(r);
    for (const k of ['SUPERVISOR_TOKEN', 'HOST', 'STREAMPULSE_HTTP_ROOT']) assert.ok(!keys.includes(k), `${k} passed on`);
    assert.match(r.stdout, /MQTT_URL=mqtt:\/\/127\.0\.0\.1:1883/);
  });

  it('forwards SIGTERM to start.js and exits with its code', async () => {
    answer = brokerAnswer;
    const data = dataDir({ cameras: [] });
    let sent = false;
    const r = await run(data, { FAKE_MODE: 'wait' }, (text, kill) => {
      if (!sent && text.includes('READY')) {
        sent = true;
        kill('SIGTERM');
      }
    });
    assert.equal(sent, true, r.stdout + r.stderr);
    assert.match(r.stdout, /child got SIGTERM/);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('tries the Supervisor again after a transient failure', async () => {
    let calls = 0;
    answer = (res) => {
      calls++;
      if (calls === 1) res.writeHead(502).end('{"result":"error","message":"busy"}');
      else brokerAnswer(res);
    };
    const r = await run(dataDir({ cameras: [] }), {});
    assert.equal(r.code, 7, r.stderr);
    assert.equal(calls, 2);
    assert.match(r.stdout, /no answer about the broker yet: the Supervisor failed \(HTTP 502: busy\); trying again in 2 s/);
    assert.ok(keysOf(r).includes('MQTT_URL'));
  });

  it('stops at once on SIGTERM while waiting for the Supervisor, starting nothing', async () => {
    answer = () => undefined; // never answers
    const data = dataDir({ cameras: [] });
    let sent = false;
    const started = Date.now();
    const r = await run(data, {}, (text, kill) => {
      if (!sent && text.includes('asking the Supervisor')) {
        sent = true;
        kill('SIGTERM');
      }
    });
    assert.equal(r.code, 143, r.stdout + r.stderr);
    assert.ok(Date.now() - started < 8000, 'no wait for the 10 s Supervisor timeout');
    assert.ok(!r.stdout.includes('KEYS='));
    assert.deepEqual(readdirSync(data), ['options.json']);
  });

  it('cleans up a temp file an interrupted earlier write left behind', async () => {
    answer = brokerAnswer;
    const data = dataDir({ cameras: [] });
    writeFileSync(join(data, '.streams.yaml.0123456789ab.tmp'), 'password: leftover');
    const r = await run(data, {});
    assert.equal(r.code, 7, r.stderr);
    assert.deepEqual(readdirSync(data).sort(), ['options.json', 'streampulse', 'streams.yaml']);
  });

  it('fails clearly when the start script is missing', async () => {
    answer = brokerAnswer;
    const data = dataDir({ cameras: [] });
    const r = await run(data, { STREAMPULSE_START_SCRIPT: join(work, 'missing-start.js') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot start: .*missing-start\.js is missing from the image/);
  });
});
