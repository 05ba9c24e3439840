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

/** The part of an Express request our HTTP handlers read (Node-RED 4 runs Express 4, 5 runs Express 5). */
export interface HttpRequest {
  method: string;
  /** Path relative to where the app is mounted (Node-RED's httpNodeRoot), without the query. */
  path: string;
  /** Path and query as received, including the mount prefix. */
  originalUrl: string;
  headers: Record<string, string | string[] | undefined>;
  /** Express's parsed body when a body parser ran (Node-RED parses JSON and text for httpNode routes). */
  body?: unknown;
}

export interface HttpResponse {
  statusCode: number;
  headersSent: boolean;
  writableEnded: boolean;
  destroyed: boolean;
  setHeader(name: string, value: string | number): void;
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): void;
  once(event: 'drain' | 'close', listener: () => void): void;
  off(event: 'drain' | 'close', listener: () => void): void;
}

export type HttpNext = (err?: unknown) => void;
export type HttpHandler = (req: HttpRequest, res: HttpResponse, next: HttpNext) => void;

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
  /** Node-RED's HTTP app for flows (absent when httpNodeRoot is false); its routes share httpNodeAuth. */
  httpNode?: { use(handler: HttpHandler): void };
  util: { cloneMessage<T extends NodeMessage>(msg: T): T };
  /** i18n lookup in this module's locales/<lang>/<node>.json catalogue. */
  _(key: string, substitutions?: Record<string, string | number>): string;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}
