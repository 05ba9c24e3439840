/**
 * Node-RED embedded in this process (https://nodered.org/docs/user-guide/runtime/embedding),
 * behind an HTTP server we own. Owning it is the point: the allowed-clients gate sits in front of
 * every request AND every WebSocket upgrade (the editor's /comms included, which Node-RED's
 * httpAdminMiddleware never sees), the port is bound before any flow starts (a taken port fails
 * the start instead of a running flow without HTTP), and the stop is ours to bound.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ClientGate, gateMiddleware } from '../lib/launch/allowed-clients.js';
import { basicAuthMiddleware } from '../lib/launch/basic-auth.js';
import { loadBcrypt } from '../lib/launch/node-red-home.js';
import type { NodeRedHome } from '../lib/launch/node-red-home.js';
import type { NodeRedSettings } from '../lib/launch/settings.js';

type Next = (err?: unknown) => void;
type Handler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** The parts of node-red's embedding API (lib/red.js) used here. */
interface NodeRedApi {
  init(server: Server, settings: NodeRedSettings): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: Handler;
  httpNode: Handler;
}

interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  use(path: string, ...handlers: Handler[]): unknown;
  disable(setting: string): unknown;
}

export interface EmbeddedOptions {
  home: NodeRedHome;
  settings: NodeRedSettings;
  port: number;
  host: string | undefined;
  allowedClients: readonly string[] | undefined;
  onRefused?: (address: string) => void;
}

export interface EmbeddedNodeRed {
  port: number;
  /** Closes the listener, stops the flows (nodes flush and say goodbye), then drops the open connections. */
  stop(): Promise<void>;
}

export async function startEmbeddedNodeRed(options: EmbeddedOptions): Promise<EmbeddedNodeRed> {
  const { home, settings } = options;
  const RED = home.load(home.dir) as NodeRedApi;
  const express = home.load('express') as () => ExpressApp;
  const gate = options.allowedClients === undefined ? undefined : new ClientGate(options.allowedClients);
  const refuse = gate === undefined ? undefined : gateMiddleware(gate, options.onRefused);
  let ready = false;
  let app: ExpressApp | undefined;

  const server = createServer((req, res) => {
    if (refuse !== undefined) {
      let allowed = false;
      refuse(req, res, () => (allowed = true));
      if (!allowed) return;
    }
    if (!ready || app === undefined) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5', Connection: 'close' });
      res.end('503 StreamPulse is starting or stopping\n');
      return;
    }
    app(req, res);
  });
  if (gate !== undefined) gateUpgrades(server, gate);

  await listen(server, options.port, options.host);
  try {
    RED.init(server, settings);
    const created = express();
    created.disable('x-powered-by');
    created.use(settings.httpAdminRoot, RED.httpAdmin);
    const nodeAuth = settings.httpNodeAuth;
    if (nodeAuth !== undefined) {
      const bcrypt = loadBcrypt(home);
      created.use(settings.httpNodeRoot, basicAuthMiddleware({ user: nodeAuth.user, verify: (password) => bcrypt.compare(password, nodeAuth.pass) }));
    }
    created.use(settings.httpNodeRoot, RED.httpNode);
    app = created;
    const address = server.address();
    settings.serverPort = typeof address === 'object' && address !== null ? address.port : options.port;
    await RED.start();
    ready = true;
  } catch (err) {
    server.close();
    server.closeAllConnections();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    port: typeof settings.serverPort === 'number' ? settings.serverPort : options.port,
    stop: () =>
      (stopping ??= (async () => {
        ready = false;
        server.close();
        server.closeIdleConnections();
        try {
          await RED.stop();
        } finally {
          server.closeAllConnections();
        }
      })()),
  };
}

/**
 * Node-RED's WebSocket endpoints (the editor's /comms, `websocket in` nodes) listen to the
 * server's 'upgrade' event themselves; a refused peer must never reach those listeners, so the
 * event is filtered where it is emitted. The 403 is written raw: an upgrade has no response object.
 */
function gateUpgrades(server: Server, gate: ClientGate): void {
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  const filtered = (event: string | symbol, ...args: unknown[]): boolean => {
    if (event === 'upgrade') {
      const [req, socket] = args as [IncomingMessage, Duplex];
      if (!gate.allows(req.socket.remoteAddress)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return true;
      }
    }
    return emit(event, ...args);
  };
  server.emit = filtered as typeof server.emit;
}

function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const where = host === undefined ? `port ${port}` : `${host}:${port}`;
      if (err.code === 'EADDRINUSE') reject(new Error(`PORT: ${where} is already in use (another Node-RED?); set PORT to a free port`));
      else if (err.code === 'EACCES') reject(new Error(`PORT: ${where} needs privileges this user lacks; use a port above 1023`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new Error(`HOST: ${host ?? ''} is not an address of this machine`));
      else reject(new Error(`cannot listen on ${where}: ${err.message}`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // No host: every interface, IPv6 and IPv4 (dual stack), where Node-RED itself would take 0.0.0.0 only.
    if (host === undefined) server.listen(port);
    else server.listen(port, host);
  });
}
