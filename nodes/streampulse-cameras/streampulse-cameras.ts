/**
 * `streampulse-cameras` config node: the camera list shared by stream-probe nodes. Either a YAML
 * streams file (watched; the Home Assistant app writes one) or a list edited in the dialog, whose
 * passwords live in the node's credentials, never in the flow file.
 */
import type { Node, NodeAPI, NodeDef } from '../shared/node-red.js';
import { CameraSource } from './camera-source.js';
import { CAMERAS_TYPE, numberOrUndefined, resolvePath, rowsWithPasswords } from './cameras.js';
import type { CamerasCredentials, CamerasNode, EditorRow } from './cameras.js';

interface CamerasDef extends NodeDef {
  source?: 'file' | 'list';
  path?: string;
  streams?: EditorRow[];
  interval?: number | string;
}

export = function register(RED: NodeAPI): void {
  function CamerasConfigNode(this: Node<CamerasCredentials>, def: CamerasDef): void {
    RED.nodes.createNode(this, def);
    const node = this as CamerasNode;
    /** Subscribers that arrived before the list was loaded: each attaches itself once it is. */
    const pending: ((created: CameraSource) => void)[] = [];
    let source: CameraSource | undefined;
    let closed = false;

    const ready = (created: CameraSource): void => {
      if (closed) {
        void created.close();
        return;
      }
      source = created;
      for (const attach of pending.splice(0)) attach(created);
    };

    node.subscribe = (listener) => {
      if (source) return source.subscribe(listener);
      // Not loaded yet: the listener hears the first real state once the file has been read.
      // Keep the source's own unsubscribe: re-subscribing to get one would hand the list to a
      // closing subscriber once more.
      let detach: (() => void) | undefined;
      const attach = (created: CameraSource): void => {
        detach = created.subscribe(listener);
      };
      pending.push(attach);
      return () => {
        const index = pending.indexOf(attach);
        if (index >= 0) pending.splice(index, 1);
        detach?.();
      };
    };

    if ((def.source ?? 'file') === 'file') {
      const path = resolvePath(def.path, RED.settings.userDir);
      CameraSource.fromFile(path).then(ready, (err: unknown) => {
        const failed = CameraSource.fromList([], undefined);
        ready(failed);
        node.error(RED._('streampulse-cameras.errors.load', { path, error: err instanceof Error ? err.message : String(err) }));
      });
    } else {
      ready(CameraSource.fromList(rowsWithPasswords(def.streams ?? [], node.credentials?.passwords), numberOrUndefined(def.interval)));
    }

    node.on('close', (_removed, done) => {
      closed = true;
      const closing = source?.close();
      source = undefined;
      pending.length = 0;
      if (closing) closing.then(done, done);
      else done();
    });
  }

  RED.nodes.registerType(CAMERAS_TYPE, CamerasConfigNode, { credentials: { passwords: { type: 'password' } } });
};
