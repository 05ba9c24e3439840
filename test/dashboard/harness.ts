/**
 * Pieces of the dashboard's browser tests: the Node-RED flow (store + heartbeat-store serving the
 * page, a camera list from streams.yaml, POST /feed to inject heartbeats), the heartbeats that
 * give every state, a snapshot camera for the preview and an ingress-like reverse proxy.
 */
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { startNodeRed } from '../fixtures/node-red-process.js';
import type { NodeRedProcess } from '../fixtures/node-red-process.js';
import { ffmpegJpeg } from '../fixtures/jpeg-samples.js';
import { makeHeartbeat } from '../nodes/store-harness.js';
import type { HeartbeatFields } from '../nodes/store-harness.js';

export const XSS_NAME = '<img src=x onerror=alert(1)>';
export const DOOR_PASSWORD = 'hunter2-door-secret';
export const MINUTE = 60_000;

export function dashboardFlow(): unknown[] {
  const tab = 'dash';
  const at = (node: Record<string, unknown>): Record<string, unknown> => ({ z: tab, x: 100, y: 100, ...node });
  return [
    { id: tab, type: 'tab', label: 'dashboard' },
    { id: 'db', type: 'streampulse-store', file: 'history.db' },
    { id: 'cams', type: 'streampulse-cameras', source: 'file', path: 'streams.yaml' },
    at({ id: 'feed', type: 'http in', url: '/feed', method: 'post', wires: [['store']] }),
    at({ id: 'store', type: 'heartbeat-store', store: 'db', serve: true, base: '/streampulse', cameras: 'cams', wires: [['reply']] }),
    at({ id: 'reply', type: 'http response', statusCode: '', headers: {} }),
  ];
}

/** The camera list (YAML), with a password the page must never see. */
export function streamsYaml(snapshotUrl: string): string {
  return `# Cameras of the dashboard test
timezone: Europe/Berlin
streams:
  - name: Front door
    id: door
    url: rtsp://10.0.0.9/door
    username: admin
    password: "${DOOR_PASSWORD}"
  - name: Back yard
    id: yard
    url: rtsp://10.0.0.9/yard
  - name: Garage
    id: garage
    url: rtsp://10.0.0.9/garage
  - name: Lobby
    id: lobby
    url: rtsp://10.0.0.9/lobby
  - name: "${XSS_NAME}"
    id: xss
    url: rtsp://10.0.0.9/xss
  - name: Snapshot
    id: snap
    url: ${snapshotUrl}
    username: cam
    password: "jpeg-pass"
`;
}

export async function postHeartbeat(red: NodeRedProcess, fields: HeartbeatFields): Promise<void> {
  const res = await fetch(`${red.url}/feed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(makeHeartbeat(fields)),
    signal: AbortSignal.timeout(10_000),
  });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`POST /feed answered ${res.status}`);
}

/**
 * A history with every state: door online with one 10-minute outage an hour and a half ago, yard
 * offline for 20 minutes, garage degraded (no_frame), lobby unknown, the hostile name online.
 */
export async function seedHeartbeats(red: NodeRedProcess, now: number): Promise<void> {
  const t = (minutesAgo: number): number => now - minutesAgo * MINUTE;
  const door: HeartbeatFields[] = [];
  for (let i = 180; i >= 1; i--) {
    const latencyMs = 90 + ((i * 37) % 120);
    if (i === 90) door.push({ id: 'door', name: 'Front door', atMs: t(i), code: 'refused', state: 'online', since: t(180) });
    else if (i === 89) door.push({ id: 'door', name: 'Front door', atMs: t(i), code: 'refused', state: 'offline', since: t(90), changed: true });
    else if (i > 80 && i < 89) door.push({ id: 'door', name: 'Front door', atMs: t(i), code: 'refused', state: 'offline', since: t(90) });
    else if (i === 80) door.push({ id: 'door', name: 'Front door', atMs: t(i), state: 'online', since: t(80), changed: true, latencyMs });
    else door.push({ id: 'door', name: 'Front door', atMs: t(i), state: 'online', since: i > 90 ? t(180) : t(80), latencyMs });
  }
  const yard: HeartbeatFields[] = [];
  for (let i = 60; i >= 1; i--) {
    if (i > 20) yard.push({ id: 'yard', name: 'Back yard', atMs: t(i), since: t(60) });
    else if (i === 20) yard.push({ id: 'yard', name: 'Back yard', atMs: t(i), code: 'refused', state: 'online', since: t(60) });
    else yard.push({ id: 'yard', name: 'Back yard', atMs: t(i), code: 'refused', state: 'offline', since: t(20), changed: i === 19 });
  }
  const garage: HeartbeatFields[] = [];
  for (let i = 30; i >= 1; i--) {
    if (i > 10) garage.push({ id: 'garage', name: 'Garage', atMs: t(i), since: t(30) });
    else garage.push({ id: 'garage', name: 'Garage', atMs: t(i), code: 'no_frame', state: 'degraded', since: t(10), changed: i === 10 });
  }
  const lobby: HeartbeatFields[] = [2, 1].map((i) => ({ id: 'lobby', name: 'Lobby', atMs: t(i), code: 'timeout', state: 'unknown', since: t(2) }));
  const xss: HeartbeatFields[] = [];
  for (let i = 10; i >= 1; i--) xss.push({ id: 'xss', name: XSS_NAME, atMs: t(i), since: t(10) });
  const snap: HeartbeatFields[] = [];
  for (let i = 5; i >= 1; i--) snap.push({ id: 'snap', name: 'Snapshot', atMs: t(i), since: t(5) });
  // One stream's heartbeats in order (outages open and close in sequence), streams side by side.
  await Promise.all([door, yard, garage, lobby, xss, snap].map(async (list) => {
    for (const fields of list) await postHeartbeat(red, fields);
  }));
}

/** Waits until `check` is true, polling; throws after `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A JPEG snapshot camera behind Basic auth (the preview must use the camera's credentials). */
export async function startSnapshotCamera(): Promise<Listening & { hits: () => number }> {
  const jpeg = ffmpegJpeg(320, 240);
  const expected = `Basic ${Buffer.from('cam:jpeg-pass').toString('base64')}`;
  let hits = 0;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="cam"' }).end();
      return;
    }
    hits++;
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length }).end(jpeg);
  });
  const url = await listen(server);
  return { url: `${url}/snap.jpg`, close: () => closeServer(server), hits: () => hits };
}

/**
 * Home Assistant ingress in miniature: `/api/hassio_ingress/<token>/…` → Node-RED `/…`, anything
 * else 404. Records every path the browser asked for.
 */
export async function startIngressProxy(target: string, prefix: string): Promise<Listening & { paths: string[] }> {
  const paths: string[] = [];
  const upstream = new URL(target);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    paths.push(path);
    if (!path.startsWith(prefix)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not under the ingress prefix');
      return;
    }
    const forward = request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: `/${path.slice(prefix.length)}`,
      headers: { ...req.headers, host: upstream.host }, timeout: 15_000,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('timeout', () => forward.destroy(new Error('upstream timeout')));
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(forward);
  });
  const url = await listen(server);
  return { url, paths, close: () => closeServer(server) };
}

export interface Dashboard {
  red: NodeRedProcess;
  browser: Browser;
  camera: Listening & { hits: () => number };
  userDir: string;
  /** The page's address, `<node-red>/streampulse/`. */
  base: string;
  stop(): Promise<void>;
}

/**
 * Node-RED with the dashboard flow and a seeded history, the snapshot camera and Chromium; what
 * started is stopped again when a later step fails.
 */
export async function startDashboard(now: number): Promise<Dashboard> {
  const userDir = await mkdtemp(join(tmpdir(), 'sp-dash-'));
  let camera: Dashboard['camera'] | undefined;
  let red: NodeRedProcess | undefined;
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await red?.stop();
    await camera?.close();
    await rm(userDir, { recursive: true, force: true });
  };
  try {
    camera = await startSnapshotCamera();
    await writeFile(join(userDir, 'streams.yaml'), streamsYaml(camera.url));
    red = await startNodeRed({ flows: dashboardFlow(), userDir });
    await seedHeartbeats(red, now);
    const ready = red;
    // Asked stream by stream: api/streams would start the fleet uptime computation (cached for
    // 30 s) before the writer has flushed everything.
    await until('every heartbeat in the store', async () => {
      for (const id of ['door', 'yard', 'garage', 'lobby', 'xss', 'snap']) {
        const res = await fetch(`${ready.url}/streampulse/api/streams/${id}`, { signal: AbortSignal.timeout(5000) });
        if (res.status !== 200) return false;
        const body = (await res.json()) as { stream: { lastSeenMs: number } };
        if (body.stream.lastSeenMs < now - MINUTE - 1000) return false;
      }
      return true;
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      timeout: 30_000,
    });
    return { red, browser, camera, userDir, base: `${red.url}/streampulse/`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
