#!/usr/bin/env node
/**
 * The Home Assistant app's entry point (run by the s6 service `streampulse`): options.json →
 * validated options → broker from the Supervisor → streams file (atomic, 0600) → start.js with
 * the planned environment, as a child whose exit code becomes ours. Invalid options exit 1 with
 * one line per problem, and the s6 finish script then stops the app so the user sees why.
 *
 * Overridable for tests and local runs: --options PATH / STREAMPULSE_ADDON_OPTIONS (default
 * /data/options.json), --data DIR / STREAMPULSE_ADDON_DATA (default /data),
 * STREAMPULSE_START_SCRIPT (default start.js beside this file), STREAMPULSE_SUPERVISOR_URL,
 * STREAMPULSE_ADDON_PORT (instead of the ingress port 8099, for a test beside other services).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseStreamsConfig } from '../lib/config/index.js';
import { inOptionTerms, parseOptionsText } from '../lib/addon/options.js';
import { childEnvironment, planLaunch } from '../lib/addon/launch.js';
import { NODE_FLAGS } from '../lib/launch/node-flags.js';
import { fetchMqttService, isTransient, SUPERVISOR_URL } from '../lib/addon/supervisor.js';
import type { MqttService } from '../lib/addon/supervisor.js';

const MAX_OPTIONS_BYTES = 1024 * 1024;
const SUPERVISOR_TIMEOUT_MS = 10_000;
const SUPERVISOR_ATTEMPTS = 3;
const RETRY_DELAY_MS = 2_000;
/** Below the Supervisor's own stop timeout (10 s by default), so we, not it, decide the end. */
const CHILD_STOP_GRACE_MS = 8_000;

const log = (line: string): void => console.log(`[streampulse] ${line}`);
const fail = (line: string): void => console.error(`[streampulse] ${line}`);

interface Args {
  optionsPath: string;
  dataRoot: string;
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Args {
  const args: Args = {
    optionsPath: env.STREAMPULSE_ADDON_OPTIONS ?? '/data/options.json',
    dataRoot: env.STREAMPULSE_ADDON_DATA ?? '/data',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--options' || flag === '--data') && value !== undefined) {
      if (flag === '--options') args.optionsPath = value;
      else args.dataRoot = value;
      i++;
    } else {
      throw new Error(`unknown argument ${JSON.stringify(flag)} (use --options PATH, --data DIR)`);
    }
  }
  return args;
}

/** Aborted by SIGTERM/SIGINT before the child exists; afterwards signals go to the child. */
const startup = new AbortController();
let child: ChildProcess | undefined;

function onSignal(signal: NodeJS.Signals): void {
  if (child === undefined) {
    startup.abort();
    log(`${signal} while starting: stopping`);
    process.exit(128 + (constants.signals[signal] ?? 15));
  }
  const running = child;
  log(`${signal}: stopping StreamPulse`);
  running.kill(signal);
  // A bounded wait: a child that ignores the signal is killed before the Supervisor kills us.
  setTimeout(() => {
    if (running.exitCode === null && running.signalCode === null) {
      fail(`StreamPulse did not stop within ${CHILD_STOP_GRACE_MS} ms: killing it`);
      running.kill('SIGKILL');
    }
  }, CHILD_STOP_GRACE_MS).unref();
}

async function main(): Promise<number> {
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const args = parseArgs(process.argv.slice(2), process.env);

  const checked = parseOptionsText(await readOptions(args.optionsPath));
  if (!checked.ok) {
    fail('the app options are invalid; fix them on the Configuration tab:');
    for (const error of checked.errors) fail(`  ${error}`);
    return 1;
  }
  for (const warning of checked.warnings) log(`warning: ${warning}`);

  const mqtt = await discoverBroker(process.env);
  const dataDir = join(args.dataRoot, 'streampulse');
  const streamsFile = join(args.dataRoot, 'streams.yaml');
  const timezone = process.env.TZ;
  const plan = planLaunch(checked.options, mqtt, { dataDir, streamsFile }, timezone === undefined ? {} : { timezone });
  for (const note of plan.notes) log(note);
  const port = process.env.STREAMPULSE_ADDON_PORT;
  if (port !== undefined && /^\d+$/.test(port)) plan.env.PORT = port;

  // The product must accept what we write; a refusal here is a bug in this app, said plainly.
  const accepted = parseStreamsConfig(plan.streamsYaml, streamsFile, {});
  if (!accepted.ok) {
    fail('the generated camera list was refused (please report this):');
    for (const error of accepted.errors) fail(`  ${inOptionTerms(error)}`);
    return 1;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(streamsFile, plan.streamsYaml, 0o600);

  const script = process.env.STREAMPULSE_START_SCRIPT ?? join(__dirname, 'start.js');
  if (!existsSync(script)) {
    fail(`cannot start: ${script} is missing from the image`);
    return 1;
  }
  return runChild(script, childEnvironment(process.env, plan.env));
}

async function readOptions(path: string): Promise<string> {
  const info = await stat(path).catch((err: unknown) => {
    throw new Error(`cannot read the app options at ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  });
  if (info.size > MAX_OPTIONS_BYTES) throw new Error(`${path} is larger than ${MAX_OPTIONS_BYTES} bytes`);
  return readFile(path, 'utf8');
}

async function discoverBroker(env: NodeJS.ProcessEnv): Promise<MqttService | undefined> {
  const token = env.SUPERVISOR_TOKEN;
  if (token === undefined || token === '') {
    log('SUPERVISOR_TOKEN is not set (not running under the Home Assistant Supervisor?): skipping broker discovery');
    return undefined;
  }
  const baseUrl = env.STREAMPULSE_SUPERVISOR_URL ?? SUPERVISOR_URL;
  log('MQTT: asking the Supervisor for the broker');
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchMqttService({ baseUrl, token, timeoutMs: SUPERVISOR_TIMEOUT_MS, signal: startup.signal });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (attempt < SUPERVISOR_ATTEMPTS && isTransient(err)) {
        log(`MQTT: no answer about the broker yet: ${message}; trying again in ${RETRY_DELAY_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        continue;
      }
      fail(`MQTT: could not get the broker from the Supervisor: ${message}; publishing to Home Assistant is off`);
      return undefined;
    }
  }
}

/** Temp file in the same directory, fsync, rename: a reader sees the old file or the new one, never half. */
async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  // A stop in the middle of an earlier write may have left its temp file (with passwords) behind.
  for (const name of await readdir(dir)) {
    if (name.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) await rm(join(dir, name), { force: true });
  }
  const temp = join(dir, `${prefix}${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.chmod(mode); // the umask may have narrowed or widened `mode` at creation
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync().catch(() => undefined); // not every filesystem syncs a directory
  } finally {
    await handle.close();
  }
}

function runChild(script: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    log('starting Node-RED');
    const started = spawn(process.execPath, [...NODE_FLAGS, script], { env, stdio: 'inherit' });
    child = started;
    started.once('error', (err) => {
      fail(`cannot start Node-RED: ${err.message}`);
      resolve(1);
    });
    started.once('exit', (code, signal) => {
      if (signal !== null) {
        log(`Node-RED ended by ${signal}`);
        resolve(128 + (constants.signals[signal] ?? 0));
      } else {
        if (code !== 0) fail(`Node-RED exited with code ${String(code)}`);
        resolve(code ?? 1);
      }
    });
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    fail(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
