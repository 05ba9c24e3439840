#!/usr/bin/env node
/**
 * `npm start`, Docker, systemd and the Home Assistant app (nodes/cli/addon.ts spawns this file):
 * check the environment (nodes/lib/launch/env.ts), prepare the data directory (default flow and
 * streams file on first start only), then run Node-RED with flows/settings.js.
 *
 * Node-RED runs in this process rather than as `red.js` in a child: one Node.js process less
 * (the HA app already has a parent; each costs tens of MB on a Raspberry Pi), and the HTTP server
 * is ours, so STREAMPULSE_ALLOWED_CLIENTS guards WebSockets too (see node-red-server.ts).
 *
 * SIGTERM/SIGINT: the flows stop (the store flushes its last rows, health-publish publishes
 * `offline`), and the process exits 0 — within STOP_DEADLINE_MS whatever a node does.
 */
import { readFileSync } from 'node:fs';
import { homedir, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { readLaunchEnv } from '../lib/launch/env.js';
import type { LaunchConfig } from '../lib/launch/env.js';
import { findNodeRed } from '../lib/launch/node-red-home.js';
import { prepareDataDir } from '../lib/launch/prepare.js';
import type { NodeRedSettings } from '../lib/launch/settings.js';
import { dashboardBases, DEFAULT_DASHBOARD_BASE, displayHosts, startUrls } from '../lib/launch/urls.js';
import { redactText, redactUrl } from '../lib/util/redact.js';
import { startEmbeddedNodeRed } from './node-red-server.js';
import type { EmbeddedNodeRed } from './node-red-server.js';

/** dist/nodes/cli/start.js → the package root (package.json, flows/, examples/, icons/). */
const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');
/** Below the 5 s promised in the README, and below the HA Supervisor's 10 s before SIGKILL. */
const STOP_DEADLINE_MS = 4500;

const log = (line: string): void => console.log(`[streampulse] ${line}`);
const fail = (line: string): void => console.error(`[streampulse] ${line}`);

let running: EmbeddedNodeRed | undefined;
let stopSignal: NodeJS.Signals | undefined;

function onSignal(signal: NodeJS.Signals): void {
  if (stopSignal !== undefined) {
    fail(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  stopSignal = signal;
  log(`${signal}: stopping (flushing the history, publishing offline)`);
  // Not unref'd: this timer is the promise that the process ends.
  setTimeout(() => {
    fail(`did not stop within ${STOP_DEADLINE_MS} ms: exiting anyway`);
    process.exit(1);
  }, STOP_DEADLINE_MS);
  if (running !== undefined) void stopAndExit(running);
  // Otherwise main() is still starting and stops as soon as it can.
}

async function stopAndExit(instance: EmbeddedNodeRed): Promise<never> {
  const started = Date.now();
  try {
    await instance.stop();
    log(`stopped in ${Date.now() - started} ms`);
    process.exit(0);
  } catch (err) {
    fail(`error while stopping: ${describe(err)}`);
    process.exit(1);
  }
}

/** Resolves with an exit code, or undefined once Node-RED runs (the process then lives until a signal). */
async function main(): Promise<number | undefined> {
  process.title = 'streampulse';
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);

  // Node-RED 5 only warns on an old Node.js and then fails in odd places.
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 9)) {
    fail(`cannot start: Node.js ${process.version} is too old; Node-RED 5 needs 22.9 or later (\`npm start\` uses the project's Node 24)`);
    return 1;
  }

  const check = readLaunchEnv(process.env, { homeDir: homedir(), cwd: process.cwd() });
  if (!check.ok) {
    fail('cannot start; fix these environment variables:');
    for (const error of check.errors) fail(`  ${error}`);
    return 1;
  }
  for (const warning of check.warnings) log(`warning: ${warning}`);
  const { config } = check;

  const home = findNodeRed(PACKAGE_ROOT);
  if (home === undefined) {
    fail(`cannot start: Node-RED is not installed for ${PACKAGE_ROOT}; run \`npm ci\` there (node-red is a devDependency)`);
    return 1;
  }
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  log(`StreamPulse ${pkg.version}, Node-RED ${home.version}, Node.js ${process.version}`);

  const prepared = await prepareDataDir({ ...config, packageRoot: PACKAGE_ROOT, packageName: pkg.name });
  for (const line of prepared.created) log(line);
  for (const warning of prepared.warnings) log(`warning: ${warning}`);
  describeConfig(config);
  if (stopSignal !== undefined) return 0;

  // The settings file validates the environment once more, hashes the admin password with
  // Node-RED's bcryptjs and removes the password from process.env before any flow runs.
  const settingsFile = join(PACKAGE_ROOT, 'flows', 'settings.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS settings file, as Node-RED loads it
  const settings = require(settingsFile) as NodeRedSettings;
  settings.settingsFile = settingsFile;
  if (stopSignal !== undefined) return 0;

  const instance = await startEmbeddedNodeRed({
    home,
    settings,
    port: config.port,
    host: config.host,
    allowedClients: config.allowedClients,
    onRefused: (address) => log(`refused HTTP from ${address}: not in STREAMPULSE_ALLOWED_CLIENTS`),
  });
  running = instance;
  if (stopSignal !== undefined) return stopAndExit(instance);

  const urls = startUrls(displayHosts(config.host, networkInterfaces()), instance.port, config.httpRoot, servedBases(prepared.flowsFile));
  log(`editor:    ${urls.editor.join('  ')}`);
  if (urls.dashboards.length > 0) log(`dashboard: ${urls.dashboards.join('  ')}`);
  else log('dashboard: no heartbeat-store node serves HTTP in the current flows');
  return undefined;
}

function describeConfig(config: LaunchConfig): void {
  log(`data: ${config.dataDir}`);
  log(`cameras: ${config.streamsFile}`);
  log(`history: ${config.dbFile}`);
  if (config.mqttUrl === undefined) {
    log('MQTT: MQTT_URL is not set, so publishing to Home Assistant is off (probing, history and the dashboard work without it)');
  } else {
    log(`MQTT: publishing to ${redactUrl(config.mqttUrl)}`);
  }
  if (config.allowedClients !== undefined) log(`HTTP: only ${config.allowedClients.join(', ')} may connect`);
  if (config.admin !== undefined) log(`HTTP: the editor and the dashboard ask for the login of user "${config.admin.user}"`);
}

/** The dashboards the flows file serves; the default one when the file cannot be read. */
function servedBases(flowsFile: string): string[] {
  try {
    return dashboardBases(JSON.parse(readFileSync(flowsFile, 'utf8')) as unknown);
  } catch {
    return [DEFAULT_DASHBOARD_BASE];
  }
}

function describe(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

process.on('uncaughtException', (err) => {
  fail(`uncaught exception: ${redactText(err.stack ?? err.message)}`);
  process.exit(1);
});

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    fail(`cannot start: ${describe(err)}`);
    process.exit(1);
  },
);
