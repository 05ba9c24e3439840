/**
 * `heartbeat-store`: writes every Heartbeat to the SQLite history of its `streampulse-store`
 * config node, passes the message on with `msg.uptime`, and serves the history over HTTP
 * (JSON API, CSV, Prometheus metrics, the dashboard) under a base path of Node-RED's HTTP
 * server. With a camera list (`streampulse-cameras`) the dashboard also shows previews and
 * edits the streams file.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { handleApiRequest } from '../lib/api/index.js';
import type { CameraList } from '../lib/api/index.js';
import { checkHeartbeat } from '../lib/heartbeat-schema.js';
import type { Outage } from '../lib/health/types.js';
import type { StoreStatus } from '../lib/store/service.js';
import { packageVersion } from '../shared/package-version.js';
import type { Node, NodeAPI, NodeDef, NodeStatus } from '../shared/node-red.js';
import type { SourceState } from '../streampulse-cameras/camera-source.js';
import type { CamerasNode } from '../streampulse-cameras/cameras.js';
import type { StoreNode } from '../streampulse-store/store-config.js';
import { installDispatcher, mount, normaliseBase } from './http-mount.js';
import { readOutage } from './outage.js';

interface HeartbeatStoreDef extends NodeDef {
  store?: string;
  base?: string;
  serve?: boolean;
  /** Optional streampulse-cameras: previews and the streams file editor need the list with credentials. */
  cameras?: string;
}

/**
 * The dashboard's CSRF token: random per process, so a token seen before a restart is
 * worthless after it; the page reads it from api/info (same-origin only).
 */
const CSRF_TOKEN = randomBytes(32).toString('base64url');
/** The dashboard's files, copied beside the compiled node by the build. */
const DASHBOARD_DIR = join(__dirname, 'dashboard');

export = function register(RED: NodeAPI): void {
  function HeartbeatStoreNode(this: Node, def: HeartbeatStoreDef): void {
    RED.nodes.createNode(this, def);
    start(RED, this, def);
  }
  RED.nodes.registerType('heartbeat-store', HeartbeatStoreNode);
};

function start(RED: NodeAPI, node: Node, def: HeartbeatStoreDef): void {
  const store = def.store ? (RED.nodes.getNode(def.store) as StoreNode | null) : null;
  if (!store?.service) {
    node.status({ fill: 'red', shape: 'ring', text: RED._('heartbeat-store.status.noStore') });
    node.error(RED._('heartbeat-store.errors.noStore'));
    node.on('input', (_msg, _send, done) => done(new Error(RED._('heartbeat-store.errors.noStore'))));
    return;
  }
  const service = store.service;

  // Status: the store's fault when there is one, else rows written; refreshed at most once a second.
  let storeStatus: StoreStatus = service.currentStatus();
  let shown = '';
  let statusTimer: NodeJS.Timeout | undefined;
  const showStatus = (): void => {
    clearTimeout(statusTimer);
    statusTimer = undefined;
    const status = statusFor(RED, storeStatus, service.writerStats().written, service.writerStats().queued);
    const key = JSON.stringify(status);
    if (key !== shown) node.status(status);
    shown = key;
  };
  const stopWatching = store.watchStatus((status) => {
    storeStatus = status;
    showStatus();
  });
  const refreshStatus = (): void => {
    statusTimer ??= setTimeout(showStatus, 1000);
  };

  // The camera list as its config node last published it (an invalid file keeps the last good list).
  let cameraState: SourceState | undefined;
  let unsubscribe: (() => void) | undefined;
  if (def.cameras) {
    const cameras = RED.nodes.getNode(def.cameras) as CamerasNode | null;
    if (cameras && typeof cameras.subscribe === 'function') unsubscribe = cameras.subscribe((state) => (cameraState = state));
    else node.warn(RED._('heartbeat-store.errors.noCameras'));
  }
  const cameraList = (): CameraList | undefined => listOf(cameraState);

  let unmount: (() => void) | undefined;
  if (def.serve !== false) {
    const base = normaliseBase(def.base);
    if (!base) node.error(RED._('heartbeat-store.errors.badBase', { base: def.base ?? '' }));
    else if (!installDispatcher(RED)) node.warn(RED._('heartbeat-store.errors.noHttp'));
    else {
      const failuresToOffline = probeFailuresToOffline(RED, def.cameras);
      unmount = mount(base, async (req) => {
        const list = cameraList();
        return handleApiRequest(req, {
          db: await service.reader(),
          now: Date.now,
          storeBytes: () => service.sizeBytes(),
          counters: () => service.counters.snapshot(service.writerStats()),
          rolledUpTo: () => service.rolledUpTo(),
          ...(list?.timezone ? { timezone: list.timezone } : {}),
          cameras: cameraList,
          csrfToken: CSRF_TOKEN,
          version: packageVersion(),
          ...(failuresToOffline !== undefined ? { failuresToOffline } : {}),
          staticDir: DASHBOARD_DIR,
        });
      });
      if (!unmount) node.error(RED._('heartbeat-store.errors.baseTaken', { base }));
    }
  }

  node.on('input', (msg, send, done) => {
    const check = checkHeartbeat(msg.payload);
    if (!check.ok) {
      done(new Error(RED._('heartbeat-store.errors.badInput', { error: check.error })));
      return;
    }
    let outage: Outage | undefined;
    if (msg.outage !== undefined) {
      outage = readOutage(msg.outage, check.heartbeat.stream.id);
      if (!outage) node.warn(RED._('heartbeat-store.errors.badOutage'));
    }
    service.record(check.heartbeat, outage);
    msg.uptime = service.uptimeOf(check.heartbeat.stream.id) ?? { h24: null, d7: null, d30: null };
    send(msg);
    refreshStatus();
    done();
  });

  node.on('close', (_removed, done) => {
    unmount?.();
    unsubscribe?.();
    stopWatching();
    clearTimeout(statusTimer);
    // The config node flushes and closes the file; a redeploy of this node alone keeps it open.
    service.flush().then(() => done(), () => done());
  });
}

function statusFor(RED: NodeAPI, status: StoreStatus, written: number, queued: number): NodeStatus {
  if (!status.ok && status.error) {
    return { fill: 'red', shape: 'dot', text: RED._(`heartbeat-store.status.${status.error.kind}`, { queued }) };
  }
  return { fill: 'green', shape: 'dot', text: RED._('heartbeat-store.status.ok', { written }) };
}

function listOf(state: SourceState | undefined): CameraList | undefined {
  if (!state) return undefined;
  const streams = state.ok ? state.streams : (state.lastGood ?? []);
  return {
    streams,
    ...(state.ok && state.timezone ? { timezone: state.timezone } : {}),
    ...(state.file !== undefined ? { file: state.file } : {}),
  };
}

/**
 * The `failuresToOffline` of the stream-probe nodes that probe the same camera list (or of any
 * stream-probe when this store has no list), for the dashboard's explanation of `offline`.
 */
function probeFailuresToOffline(RED: NodeAPI, camerasId: string | undefined): number | undefined {
  const eachNode = (RED.nodes as { eachNode?: unknown }).eachNode;
  if (typeof eachNode !== 'function') return undefined;
  let found: number | undefined;
  (eachNode as (visit: (config: unknown) => void) => void)((config) => {
    if (found !== undefined || typeof config !== 'object' || config === null) return;
    const { type, cameras, failuresToOffline } = config as { type?: unknown; cameras?: unknown; failuresToOffline?: unknown };
    if (type !== 'stream-probe' || (camerasId !== undefined && cameras !== camerasId)) return;
    // As stream-probe reads it: a blank or invalid setting means its default, 2.
    const n = Number(failuresToOffline);
    found = Number.isInteger(n) && n > 0 ? n : 2;
  });
  return found;
}
