/**
 * Node-RED's settings for StreamPulse, all from the environment (flows/settings.js is one line
 * around `settingsForProcess`). The builder is pure; `settingsForProcess` adds what touches the
 * process: the home directory, bcrypt from Node-RED's tree and the exported paths.
 * Settings reference: https://nodered.org/docs/user-guide/runtime/settings-file
 */
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { ClientGate, gateMiddleware } from './allowed-clients.js';
import type { GateRequest, GateResponse } from './allowed-clients.js';
import { readLaunchEnv } from './env.js';
import type { LaunchConfig, LogLevel } from './env.js';
import { findNodeRed, loadBcrypt } from './node-red-home.js';

/** bcrypt cost: about 0.1 s on a PC and under a second on a Raspberry Pi 4, paid once per start and per login. */
export const BCRYPT_ROUNDS = 10;

/**
 * Node-RED gives each node this long to close. Our nodes bound their own close (probes 1.5 s,
 * MQTT `offline` 2 s) and the launcher exits at 5 s whatever happens; this keeps a slow
 * third-party node from eating the whole budget silently.
 */
export const NODE_CLOSE_TIMEOUT_MS = 4000;

export type Middleware = (req: GateRequest, res: GateResponse, next: () => void) => void;

export interface NodeRedSettings {
  userDir: string;
  flowFile: string;
  flowFilePretty: boolean;
  /** The package root: Node-RED registers it as a module (nodes, icons, examples) without a copy in userDir/node_modules. */
  nodesDir: string[];
  uiPort: number;
  uiHost?: string;
  httpAdminRoot: string;
  httpNodeRoot: string;
  disableEditor: boolean;
  credentialSecret?: string;
  logging: { console: { level: LogLevel; metrics: boolean; audit: boolean } };
  adminAuth?: { type: 'credentials'; users: { username: string; password: string; permissions: '*' }[] };
  httpNodeAuth?: { user: string; pass: string };
  httpAdminMiddleware?: Middleware;
  httpNodeMiddleware?: Middleware;
  webSocketNodeVerifyClient?: (info: { req: GateRequest }) => boolean;
  nodeCloseTimeout: number;
  editorTheme: { page: { title: string }; header: { title: string }; projects: { enabled: boolean } };
  /** Node-RED writes its own fields (settingsFile, serverPort …) into the object. */
  [extra: string]: unknown;
}

export interface SettingsContext {
  packageRoot: string;
  /** bcrypt hash of a password, in the format Node-RED's adminAuth and httpNodeAuth expect. */
  hashPassword: (password: string) => string;
  /** Hears each refused client address once. */
  onRefused?: (address: string) => void;
}

export function buildNodeRedSettings(config: LaunchConfig, context: SettingsContext): NodeRedSettings {
  const settings: NodeRedSettings = {
    userDir: config.dataDir,
    flowFile: 'flows.json',
    flowFilePretty: true,
    nodesDir: [context.packageRoot],
    uiPort: config.port,
    ...(config.host !== undefined && { uiHost: config.host }),
    httpAdminRoot: config.httpRoot,
    httpNodeRoot: config.httpRoot,
    disableEditor: false,
    ...(config.credentialSecret !== undefined && { credentialSecret: config.credentialSecret }),
    logging: { console: { level: config.logLevel, metrics: false, audit: false } },
    nodeCloseTimeout: NODE_CLOSE_TIMEOUT_MS,
    editorTheme: { page: { title: 'StreamPulse' }, header: { title: 'StreamPulse' }, projects: { enabled: false } },
  };
  if (config.admin !== undefined) {
    const hash = context.hashPassword(config.admin.password);
    settings.adminAuth = { type: 'credentials', users: [{ username: config.admin.user, password: hash, permissions: '*' }] };
    settings.httpNodeAuth = { user: config.admin.user, pass: hash };
  }
  if (config.allowedClients !== undefined) {
    // start.js refuses other peers before Node-RED sees them (WebSockets included); these cover
    // the same rule when the file is used with plain `node-red --settings`.
    const gate = new ClientGate(config.allowedClients);
    const middleware = gateMiddleware(gate, context.onRefused);
    settings.httpAdminMiddleware = middleware;
    settings.httpNodeMiddleware = middleware;
    settings.webSocketNodeVerifyClient = (info) => gate.allows(info.req.socket.remoteAddress);
  }
  return settings;
}

/**
 * The settings of this process, from `process.env`. Side effects, on purpose: the resolved paths
 * are written back to the environment (the default flow reads `${STREAMPULSE_STREAMS}` and
 * `${STREAMPULSE_DB}`), and the admin password is removed from it once hashed, so no flow can
 * read it. Throws one error listing every problem.
 */
export function settingsForProcess(packageRoot: string, env: NodeJS.ProcessEnv = process.env): NodeRedSettings {
  const check = readLaunchEnv(env, { homeDir: homedir(), cwd: process.cwd() });
  if (!check.ok) throw new Error(`StreamPulse cannot start:\n  ${check.errors.join('\n  ')}`);
  const { config } = check;
  exportPaths(config, env);
  const settings = buildNodeRedSettings(config, {
    packageRoot,
    hashPassword: (password) => {
      const home = findNodeRed(packageRoot) ?? findNodeRed(dirname(process.argv[1] ?? '.'));
      if (home === undefined) throw new Error('cannot hash STREAMPULSE_ADMIN_PASSWORD: Node-RED (and its bcryptjs) is not installed');
      return loadBcrypt(home).hashSync(password, BCRYPT_ROUNDS);
    },
    onRefused: (address) => console.warn(`[streampulse] refused HTTP from ${address}: not in STREAMPULSE_ALLOWED_CLIENTS`),
  });
  delete env.STREAMPULSE_ADMIN_PASSWORD;
  return settings;
}

/** Absolute paths back into the environment, for `${VAR}` properties in flows. */
export function exportPaths(config: LaunchConfig, env: NodeJS.ProcessEnv): void {
  env.STREAMPULSE_DATA = config.dataDir;
  env.STREAMPULSE_STREAMS = config.streamsFile;
  env.STREAMPULSE_DB = config.dbFile;
}
