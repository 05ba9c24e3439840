/**
 * The part of the Node-RED runtime API our nodes use, typed strictly (the community @types
 * package lags behind Node-RED 4/5). See https://nodered.org/docs/creating-nodes/node-js.
 */

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export type NodeSend = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[] | null) => void;
export type NodeDone = (err?: Error) => void;

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** Properties every node definition carries, as saved in the flow file. */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

export interface Node<Credentials = Record<string, string>> {
  id: string;
  type: string;
  name?: string;
  credentials?: Partial<Credentials>;
  on(event: 'input', listener: (msg: NodeMessage, send: NodeSend, done: NodeDone) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[] | null): void;
  status(status: NodeStatus | Record<string, never>): void;
  log(msg: string): void;
  warn(msg: string): void;
  error(msg: string, original?: NodeMessage): void;
}

export interface NodeConstructor<Def extends NodeDef> {
  (this: Node, def: Def): void;
}

export interface NodeAPI {
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    getNode(id: string): Node | null;
    registerType<Def extends NodeDef>(
      type: string,
      constructor: NodeConstructor<Def>,
      options?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: Record<string, unknown> },
    ): void;
  };
  settings: { userDir?: string; [key: string]: unknown };
  util: { cloneMessage<T extends NodeMessage>(msg: T): T };
  /** i18n lookup in this module's locales/<lang>/<node>.json catalogue. */
  _(key: string, substitutions?: Record<string, string | number>): string;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}
