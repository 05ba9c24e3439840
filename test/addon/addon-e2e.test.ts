/**
 * The Home Assistant app end to end, without Docker: the container's entry (dist/nodes/cli/addon.js)
 * reads an options.json, asks a fake Supervisor (a real HTTP server on 127.0.0.1 checking the
 * token) for the broker, writes the streams file into a temporary /data and starts Node-RED with
 * the default flow. A real RTSP server (GStreamer) is the camera, a real Mosquitto the broker: the
 * camera's discovery and an online state must arrive, and SIGTERM must stop it cleanly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gstUnavailableReason, startGstRtspServer } from '../fixtures/gst-rtsp.js';
import type { GstRtspServer } from '../fixtures/gst-rtsp.js';
import { mosquittoUnavailableReason, recordMessages, startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker } from '../fixtures/mosquitto.js';
import { freePort } from '../fixtures/ports.js';

const ADDON_JS = join(__dirname, '..', '..', 'nodes', 'cli', 'addon.js');
const TOKEN = 'supervisor-token-123';
const skip = gstUnavailableReason() ?? mosquittoUnavailableReason();

/** The Supervisor's `GET /services/mqtt`, as it answers an app with `services: [mqtt:want]`. */
function fakeSupervisor(broker: MosquittoBroker): Promise<{ server: Server; url: string; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization === `Bearer ${TOKEN}` ? 'token-ok' : 'token-bad'}`);
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.statusCode = 401;
      res.end(JSON.stringify({ result: 'error', message: 'Unauthorized' }));
      return;
    }
    res.end(JSON.stringify({
      result: 'ok',
      data: { host: '127.0.0.1', port: broker.port, ssl: false, protocol: '3.1.1', username: 'addons', password: 'mqtt-s3cret' },
    }));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}`, calls });
    });
  });
}

describe('Home Assistant app: options.json → init → Node-RED with the default flow', { skip }, () => {
  let gst: GstRtspServer | undefined;
  let broker: MosquittoBroker | undefined;
  let supervisor: Awaited<ReturnType<typeof fakeSupervisor>> | undefined;
  let data = '';
  let child: ChildProcess | undefined;
  let output = '';

  before(async () => {
    gst = await startGstRtspServer();
    broker = await startMosquitto({ auth: { username: 'addons', password: 'mqtt-s3cret' } });
    supervisor = await fakeSupervisor(broker);
    data = await mkdtemp(join(tmpdir(), 'sp-addon-data-'));
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    supervisor?.server.close();
    await broker?.dispose();
    await gst?.stop();
    await rm(data, { recursive: true, force: true });
  });

  it('publishes the configured camera to Home Assistant and stops cleanly on SIGTERM', async () => {
    if (!gst || !broker || !supervisor) throw new Error('fixtures missing');
    await writeFile(join(data, 'options.json'), JSON.stringify({
      cameras: [{ name: 'Porch', url: gst.url('/digest'), username: 'admin', password: 's3cret', interval: 5 }],
      log_level: 'info',
    }));
    const rec = await recordMessages(broker.url(), ['homeassistant/#', 'streampulse/#'], { username: 'addons', password: 'mqtt-s3cret' });
    const port = await freePort();
    try {
      child = spawn(process.execPath, [ADDON_JS], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: data,
          SUPERVISOR_TOKEN: TOKEN,
          STREAMPULSE_SUPERVISOR_URL: supervisor.url,
          STREAMPULSE_ADDON_OPTIONS: join(data, 'options.json'),
          STREAMPULSE_ADDON_DATA: data,
          STREAMPULSE_ADDON_PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

      await rec.waitFor((m) => m.some((x) => x.topic === 'streampulse/porch/state' && x.payload.includes('"state":"online"')), 60_000)
        .catch((err: unknown) => assert.fail(`${String(err)}\n--- app output ---\n${output}`));
      assert.ok(rec.messages.some((m) => m.topic === 'homeassistant/device/streampulse_porch/config' && m.retain), 'discovery');
      assert.ok(rec.messages.some((m) => m.topic === 'streampulse/status' && m.payload === 'online'));
      assert.deepEqual(supervisor.calls, ['GET /services/mqtt token-ok']);

      // Only the ingress proxy and the container itself may connect; 127.0.0.1 is the container.
      // The store writes once a second: poll its API until the camera's row is there.
      let listed = '';
      for (let i = 0; i < 50 && !listed.includes('"porch"'); i++) {
        const api = await fetch(`http://127.0.0.1:${port}/streampulse/api/streams`, { signal: AbortSignal.timeout(5000) });
        assert.equal(api.status, 200);
        listed = await api.text();
        if (!listed.includes('"porch"')) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.match(listed, /"porch"/);

      const streams = join(data, 'streams.yaml');
      assert.equal(statSync(streams).mode & 0o777, 0o600, 'the streams file holds passwords: 0600');
      assert.ok(existsSync(join(data, 'streampulse', 'flows.json')), 'the default flow was installed under /data');
      assert.ok(existsSync(join(data, 'streampulse', 'streampulse.db')), 'the database lives under /data');

      const started = Date.now();
      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await exited;
      assert.equal(code, 0, output);
      assert.ok(Date.now() - started < 8000, `stopped in ${Date.now() - started} ms`);
      await rec.waitFor((m) => m.filter((x) => x.topic === 'streampulse/status').at(-1)?.payload === 'offline', 5000);
      for (const secret of ['s3cret', 'mqtt-s3cret', TOKEN]) assert.ok(!output.includes(secret), `the log never shows ${secret}`);
    } finally {
      await rec.close();
    }
  });
});
