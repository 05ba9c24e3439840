/**
 * The pieces a capacity run starts: the camera-fleet simulator as a child process (its CPU is
 * its own, not the monitor's), and the Node-RED flow under test:
 * cameras (streams file) → stream-probe → heartbeat-store → health-publish → Mosquitto.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TruthLog } from '../fleet/types.js';

export interface FleetChildOptions {
  cameras: number;
  mjpeg: number;
  intervalS: number;
  timeoutS?: number;
  verify?: string;
  outagesPerCameraHour: number;
  durationMin: number;
  faultsAfterS: number;
  seed: number;
  ports?: number;
  out: string;
}

export interface FleetChild {
  pid: number;
  streamsPath: string;
  truthPath: string;
  readTruth(): Promise<TruthLog>;
  /** The last lines it printed to stderr (its stats on stop). */
  stderr(): string;
  stop(): Promise<void>;
}

const FLEET_READY_MS = 180_000;
const STOP_GRACE_MS = 10_000;

/** Starts dist/test/fleet/fleet-cli.js and waits for its `ready`. */
export async function startFleetChild(o: FleetChildOptions): Promise<FleetChild> {
  const cli = join(__dirname, '..', 'fleet', 'fleet-cli.js');
  const args = [
    cli, '--rtsp', String(o.cameras), '--mjpeg', String(o.mjpeg), '--interval', String(o.intervalS),
    '--outages-per-hour', String(o.outagesPerCameraHour), '--duration-min', String(o.durationMin),
    '--faults-after-s', String(o.faultsAfterS), '--seed', String(o.seed), '--out', o.out,
    ...(o.timeoutS !== undefined ? ['--timeout', String(o.timeoutS)] : []),
    ...(o.verify !== undefined ? ['--verify', o.verify] : []),
    ...(o.ports !== undefined ? ['--ports', String(o.ports)] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = (): Promise<void> => stopChild(child, exited);
  try {
    const paths = await new Promise<{ streams: string; truth: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fleet not ready within ${FLEET_READY_MS} ms: ${err}`)), FLEET_READY_MS);
      const found = { streams: '', truth: '' };
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('streams file: ')) found.streams = line.slice('streams file: '.length);
        if (line.startsWith('truth file: ')) found.truth = line.slice('truth file: '.length);
        if (line === 'ready') {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`fleet exited early (${code}): ${err}`));
      });
    });
    return {
      pid: child.pid as number,
      streamsPath: paths.streams,
      truthPath: paths.truth,
      readTruth: async () => JSON.parse(await readFile(paths.truth, 'utf8')) as TruthLog,
      stderr: () => err,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  child.kill('SIGINT');
  return exited.finally(() => clearTimeout(kill));
}

export interface FlowOptions {
  streamsPath: string;
  mqttUrl: string;
  maxConcurrent: number;
  maxPerHost: number;
  base: string;
}

/** The flow of examples/home-assistant-mqtt.json, pointed at the fleet and the test broker. */
export function benchFlow(o: FlowOptions): unknown[] {
  const z = 'bench-tab';
  return [
    { id: z, type: 'tab', label: 'capacity' },
    { id: 'cams', type: 'streampulse-cameras', name: 'fleet', source: 'file', path: o.streamsPath, streams: [], interval: '' },
    { id: 'db', type: 'streampulse-store', name: '', file: 'streampulse.db', rawHours: '', minuteDays: '', hourDays: '', dayDays: '', outageDays: '' },
    {
      id: 'broker', type: 'streampulse-broker', name: '', url: o.mqttUrl, clientId: 'streampulse-bench', keepalive: 60, tls: '', insecure: false,
      discoveryPrefix: 'homeassistant', baseTopic: 'streampulse', site: '',
    },
    {
      id: 'probe', type: 'stream-probe', z, name: '', cameras: 'cams', store: 'db', maxConcurrent: o.maxConcurrent, maxPerHost: o.maxPerHost,
      failuresToOffline: 2, x: 140, y: 100, wires: [['store'], []],
    },
    { id: 'store', type: 'heartbeat-store', z, name: '', store: 'db', serve: true, base: o.base, x: 340, y: 100, wires: [['publish']] },
    { id: 'publish', type: 'health-publish', z, name: '', broker: 'broker', cameras: 'cams', store: 'db', refreshMinutes: 5, x: 540, y: 100, wires: [[]] },
  ];
}
