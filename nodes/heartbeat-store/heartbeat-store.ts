/**
 * `heartbeat-store`: writes every Heartbeat to the SQLite history of its `streampulse-store`
 * config node, passes the message on with `msg.uptime`, and serves the history over HTTP
 * (JSON API, CSV, Prometheus metrics) under a base path of Node-RED's HTTP server.
 */
import { handleApiRequest } from '../lib/api/index.js';
import { checkHeartbeat } from '../lib/heartbeat-schema.js';
import type { Outage } from '../lib/health/types.js';
import type { StoreStatus } from '../lib/store/service.js';
import type { Node, NodeAPI, NodeDef, NodeStatus } from '../shared/node-red.js';
import type { StoreNode } from '../streampulse-store/store-config.js';
import { installDispatcher, mount, normaliseBase } from './http-mount.js';
import { readOutage } from './outage.js';

interface HeartbeatStoreDef extends NodeDef {
  store?: string;
  base?: string;
  serve?: boolean;
}

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

  let unmount: (() => void) | undefined;
  if (def.serve !== false) {
    const base = normaliseBase(def.base);
    if (!base) node.error(RED._('heartbeat-store.errors.badBase', { base: def.base ?? '' }));
    else if (!installDispatcher(RED)) node.warn(RED._('heartbeat-store.errors.noHttp'));
    else {
      unmount = mount(base, async (req) => handleApiRequest(req, {
        db: await service.reader(),
        now: Date.now,
        storeBytes: () => service.sizeBytes(),
        counters: () => service.counters.snapshot(service.writerStats()),
        rolledUpTo: () => service.rolledUpTo(),
      }));
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
