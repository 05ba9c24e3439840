/**
 * Runs the camera-fleet simulator on its own, beside a monitor under test:
 *
 *   node dist/test/fleet/fleet-cli.js --rtsp 10000 --mjpeg 100 --port-base 0 \
 *     [--ports 4] [--fps 10] [--gop 10] [--interval 15] [--timeout 10] [--verify auto]
 *     [--outages-per-hour 2 --duration-min 60 --seed 1 --faults-after-s 60] [--slow-delay-ms 60000] [--out DIR]
 *     [--stats-every 30]
 *
 * Writes DIR/streams.yaml (a StreamPulse streams file listing every camera) and DIR/truth.json
 * (the fault schedule the cameras follow), prints their paths and then `ready`, and serves until
 * SIGINT/SIGTERM. Stats go to stderr every `--stats-every` seconds (0: never).
 */
import { mkdtemp, mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFleet } from './fleet.js';
import type { Fleet } from './fleet.js';
import { streamsYaml } from './streams-file.js';
import type { StreamsFileOptions } from './streams-file.js';

const VERIFY = ['auto', 'packet', 'keyframe', 'decode'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rtsp: { type: 'string', default: '1000' },
      mjpeg: { type: 'string', default: '0' },
      ports: { type: 'string' },
      'mjpeg-ports': { type: 'string' },
      'port-base': { type: 'string', default: '0' },
      fps: { type: 'string', default: '10' },
      gop: { type: 'string', default: '10' },
      interval: { type: 'string', default: '15' },
      timeout: { type: 'string' },
      verify: { type: 'string' },
      'outages-per-hour': { type: 'string', default: '0' },
      'duration-min': { type: 'string', default: '60' },
      'faults-after-s': { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      'slow-delay-ms': { type: 'string', default: '60000' },
      out: { type: 'string' },
      'stats-every': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const num = (name: keyof typeof values, min: number): number => {
    const raw = values[name];
    const n = Number(raw);
    if (typeof raw !== 'string' || !Number.isFinite(n) || n < min) throw new Error(`--${name} wants a number >= ${min}, got ${String(raw)}`);
    return n;
  };
  const verify = parseVerify(values.verify);
  const outagesPerCameraHour = num('outages-per-hour', 0);

  const fleet = await startFleet({
    rtsp: num('rtsp', 0),
    mjpeg: num('mjpeg', 0),
    ...(values.ports !== undefined ? { ports: num('ports', 1) } : {}),
    ...(values['mjpeg-ports'] !== undefined ? { mjpegPorts: num('mjpeg-ports', 1) } : {}),
    portBase: num('port-base', 0),
    fps: num('fps', 1),
    gopFrames: num('gop', 1),
    slowDelayMs: num('slow-delay-ms', 0),
    ...(outagesPerCameraHour > 0
      ? {
          schedule: {
            outagesPerCameraHour,
            startMs: Date.now() + num('faults-after-s', 0) * 1000,
            durationMs: num('duration-min', 0) * 60_000,
            seed: num('seed', 0),
          },
        }
      : {}),
  });

  const out = values.out !== undefined ? resolve(values.out) : await mkdtemp(join(tmpdir(), 'streampulse-fleet-'));
  await mkdir(out, { recursive: true });
  const fileOptions: StreamsFileOptions = {
    heartbeatSeconds: num('interval', 1),
    ...(values.timeout !== undefined ? { timeoutSeconds: num('timeout', 0.5) } : {}),
    ...(verify !== undefined ? { verify } : {}),
  };
  const streamsPath = join(out, 'streams.yaml');
  const truthPath = join(out, 'truth.json');
  await writeAtomically(streamsPath, streamsYaml(fleet.cameras, fileOptions));
  await writeAtomically(truthPath, JSON.stringify(fleet.truth, null, 1));

  const ports = [...new Set(fleet.cameras.map((c) => `${c.kind} ${c.port}`))].join(', ');
  console.log(`fleet: ${fleet.cameras.length} cameras (${ports}); ${fleet.truth.size} scheduled faults`);
  console.log(`streams file: ${streamsPath}`);
  console.log(`truth file: ${truthPath}`);
  console.log('ready');

  const every = num('stats-every', 0);
  const statsTimer = every > 0 ? setInterval(() => console.error(statsLine(fleet)), every * 1000) : undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait for the sockets to close.
      process.exit(130);
    }
    stopping = true;
    clearInterval(statsTimer);
    console.error(`${signal}: stopping; ${statsLine(fleet)}`);
    fleet.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

function parseVerify(raw: string | undefined): (typeof VERIFY)[number] | undefined {
  if (raw === undefined) return undefined;
  const found = VERIFY.find((v) => v === raw);
  if (!found) throw new Error(`--verify wants one of ${VERIFY.join(', ')}, got ${raw}`);
  return found;
}

function statsLine(fleet: Fleet): string {
  const s = fleet.stats();
  const faults = Object.entries(s.faultsServed)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const mem = process.memoryUsage();
  const mb = (n: number): string => (n / 1048576).toFixed(0);
  return `stats: rssMB=${mb(mem.rss)} heapMB=${mb(mem.heapUsed)}/${mb(mem.heapTotal)} externalMB=${mb(mem.external)} connections=${s.connections} open=${s.openConnections} requests=${s.requests} streams=${s.streamsStarted} streaming=${s.streaming} frames=${s.framesSent} MB=${(s.bytesSent / 1e6).toFixed(1)} faults: ${faults}`;
}

/** Write aside and rename, so a monitor watching the file never reads half of it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, text);
  await rename(partial, path);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
