/**
 * `stream-probe`: give it a camera list, it emits one Heartbeat per probe, forever. Output 1:
 * every heartbeat; output 2: state changes only. Thin wiring around ../lib/monitor.
 */
import type { SourceState } from '../streampulse-cameras/camera-source.js';
import type { CamerasNode } from '../streampulse-cameras/cameras.js';
import { StreamMonitor } from '../lib/monitor/stream-monitor.js';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../shared/node-red.js';
import type { StoreNode } from '../streampulse-store/store-config.js';
import { parseCommand } from './input.js';
import { statusFor } from './status.js';

interface StreamProbeDef extends NodeDef {
  cameras?: string;
  /** Optional streampulse-store: health (state, since, streaks) is saved there and restored on start. */
  store?: string;
  maxConcurrent?: number | string;
  maxPerHost?: number | string;
  failuresToOffline?: number | string;
}

/** Closing must finish within 2 s (issue 3); the scheduler aborts probes and waits 1.5 s at most. */
export = function register(RED: NodeAPI): void {
  function StreamProbeNode(this: Node, def: StreamProbeDef): void {
    RED.nodes.createNode(this, def);
    start(RED, this, def);
  }

  RED.nodes.registerType('stream-probe', StreamProbeNode);
};

function start(RED: NodeAPI, node: Node, def: StreamProbeDef): void {
  const cameras = def.cameras ? (RED.nodes.getNode(def.cameras) as CamerasNode | null) : null;
  const store = def.store ? (RED.nodes.getNode(def.store) as StoreNode | null)?.service : undefined;
  let listState: SourceState | undefined;

  const monitor = new StreamMonitor({
    maxConcurrent: positive(def.maxConcurrent, 64),
    maxPerHost: positive(def.maxPerHost, 2),
    health: { failuresToOffline: positive(def.failuresToOffline, 2) },
    onHeartbeat: (heartbeat, outage) => {
      const msg: NodeMessage = { topic: heartbeat.stream.id, payload: heartbeat, ...(outage ? { outage } : {}) };
      if (heartbeat.health.changed) store?.saveHealth(monitor.healthSnapshots(heartbeat.stream.id));
      node.send([msg, heartbeat.health.changed ? RED.util.cloneMessage(msg) : null]);
      refreshStatus();
    },
    onError: (err, stream) => node.warn(`${stream.id}: ${err instanceof Error ? err.message : String(err)}`),
  });

  // summary() walks every stream: at thousands of cameras a status per heartbeat would cost
  // O(n) hundreds of times a second, so heartbeats refresh it at most once per second, and only
  // a changed status goes to the editors.
  let shown = '';
  let statusTimer: NodeJS.Timeout | undefined;
  const showStatus = (): void => {
    clearTimeout(statusTimer);
    statusTimer = undefined;
    const status = statusFor(RED, monitor.summary(), listState);
    const key = `${status.fill}|${status.shape}|${status.text}`;
    if (key !== shown) node.status(status);
    shown = key;
  };
  const refreshStatus = (): void => {
    statusTimer ??= setTimeout(showStatus, STATUS_EVERY_MS);
  };

  let unsubscribe: (() => void) | undefined;
  let closing = false;
  showStatus();
  if (!cameras) {
    node.status({ fill: 'red', shape: 'ring', text: RED._('stream-probe.status.noCameras') });
    node.error(RED._('stream-probe.errors.noCameras'));
  } else {
    const subscribe = (): void => {
      if (closing) return;
      unsubscribe = cameras.subscribe((state) => {
        listState = state;
        if (state.ok) {
          monitor.setStreams(state.streams);
          if (state.warnings.length > 0) node.warn(state.warnings.join('\n'));
        } else {
          node.error(state.errors.join('\n'));
          if (state.lastGood) monitor.setStreams(state.lastGood);
        }
        showStatus();
      });
    };
    // Restore saved health before the first probe, so a restart keeps each camera's `since`.
    if (store) {
      withTimeout(store.healthSnapshots(), RESTORE_WAIT_MS).then((snapshots) => {
        if (snapshots) monitor.restoreHealth(snapshots);
        subscribe();
      }, subscribe);
    } else subscribe();
  }

  node.on('input', (msg, send, done) => {
    const command = parseCommand(msg.payload);
    switch (command.kind) {
      case 'invalid':
        done(new Error(RED._('stream-probe.errors.badInput', { error: command.error })));
        return;
      case 'pause':
      case 'resume':
        if (command.kind === 'pause') monitor.pause();
        else monitor.resume();
        showStatus();
        done();
        return;
      case 'all':
        monitor.probeNow().then(() => done(), (err: unknown) => done(asError(err)));
        return;
      case 'id':
        if (!monitor.has(command.id)) {
          done(new Error(RED._('stream-probe.errors.unknownStream', { id: command.id })));
          return;
        }
        monitor.probeNow(command.id).then(() => done(), (err: unknown) => done(asError(err)));
        return;
      case 'stream':
        monitor.probeOnce(command.stream).then(
          (heartbeat) => {
            const out: NodeMessage = { ...msg, topic: heartbeat.stream.id, payload: heartbeat };
            send([out, null]);
            done();
          },
          // Cut short by a redeploy: nothing went wrong with the message itself.
          (err: unknown) => (closing ? done() : done(asError(err))),
        );
        return;
    }
  });

  node.on('close', (_removed, done) => {
    closing = true;
    unsubscribe?.();
    clearTimeout(statusTimer);
    // Queued before the store's config node closes (Node-RED stops config nodes last), so it is flushed.
    store?.saveHealth(monitor.healthSnapshots());
    monitor.close().then(
      () => done(),
      () => done(),
    );
  });
}

const STATUS_EVERY_MS = 1000;
/** A database that cannot answer within this time does not hold probing back. */
const RESTORE_WAIT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function positive(value: number | string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
