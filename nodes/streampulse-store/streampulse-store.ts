/**
 * `streampulse-store` config node: one SQLite history file shared by the nodes that use it —
 * heartbeat-store writes and serves it, stream-probe restores health from it after a restart.
 * It owns the StoreService (writer, reader, roll-ups, retention) and closes it last, after the
 * flow nodes (Node-RED stops config nodes after the others), so their final writes are flushed.
 */
import { StoreService } from '../lib/store/service.js';
import type { StoreStatus } from '../lib/store/service.js';
import type { Node, NodeAPI, NodeDef } from '../shared/node-red.js';
import { resolveStore, STORE_TYPE } from './store-config.js';
import type { StoreDef, StoreNode } from './store-config.js';

export = function register(RED: NodeAPI): void {
  function StoreConfigNode(this: Node, def: StoreDef & NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as StoreNode;
    const { file, retention, warnings } = resolveStore(def, RED.settings.userDir);
    for (const warning of warnings) node.warn(warning);
    const listeners = new Set<(status: StoreStatus) => void>();
    // One log line per fault, not per retry: a locked or full disk would otherwise flood the log.
    let logged: string | undefined;
    node.service = new StoreService(file, {
      retention,
      onStatus: (status) => {
        if (!status.ok && status.error) {
          if (logged !== status.error.kind) {
            node.error(RED._('streampulse-store.errors.fault', { kind: status.error.kind, during: status.error.during, message: status.error.message }));
          }
          logged = status.error.kind;
        } else if (logged !== undefined) {
          logged = undefined;
          node.log(RED._('streampulse-store.log.recovered'));
        }
        for (const listener of listeners) listener(status);
      },
    });
    node.watchStatus = (listener) => {
      listeners.add(listener);
      listener(node.service.currentStatus());
      return () => listeners.delete(listener);
    };
    node.on('close', (_removed, done) => {
      listeners.clear();
      node.service.close().then(() => done(), () => done());
    });
  }

  RED.nodes.registerType(STORE_TYPE, StoreConfigNode);
};
