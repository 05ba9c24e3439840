/**
 * `npm run bench`: how many cameras one Node-RED process monitors, measured through the real
 * node chain. For each camera count: the fleet simulator as a child process (test/fleet), a
 * Mosquitto, and Node-RED running cameras(file) → stream-probe → heartbeat-store → health-publish;
 * one interval of warm-up, then a measured window in which /streampulse/metrics is scraped every
 * 5 s; then verdicts are scored against the fleet's fault log.
 *
 *   node dist/test/bench/capacity.js [--cameras 1000,10000] [--seconds 120] [--interval 15]
 *     [--faults 2] [--seed 1] [--timeout S] [--verify auto|packet|keyframe] [--mjpeg 0]
 *     [--max-concurrent N] [--max-per-host N] [--soak-minutes 0] [--quick] [--profile] [--keep]
 *     [--no-baseline] [--node-flags="…"] [--node-options=--max-semi-space-size=8]
 *
 * --faults F: outages per camera-hour (fleet-cli's schedule: 30–180 s each, kinds down, slow,
 * auth, frozen, noframes); 0 is a clean run, which must raise no alarm at all.
 * --soak-minutes M: after the window, keep running M minutes; RSS and handles every 30 s.
 * --quick: 100 cameras, 30 s (a smoke test, under 2 minutes).
 * --profile: node --cpu-prof on the Node-RED child; prints where the window's CPU went.
 * --node-flags="…": Node.js flags of the Node-RED process instead of the shipped NODE_FLAGS
 * (nodes/lib/launch/node-flags.ts); `--node-flags=` runs a stock Node.js, for a side-by-side ratio.
 * --node-options=…: NODE_OPTIONS for the Node-RED process (V8 heap sizing, say); with "=", since the value starts with a dash.
 * Baseline (skip with --no-baseline): the same flow with no camera first, so RSS and CPU per
 * camera can be told apart from what Node-RED costs anyway.
 *
 * Prints a table and writes bench-results/capacity.json (runs keyed by their label, so runs of
 * other configurations from earlier invocations stay). Linux only (/proc). Not a test: it measures.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../../nodes/lib/launch/node-flags.js';
import { machineInfo } from './capacity-procs.js';
import { details, summarizeRun, table } from './capacity-report.js';
import type { RunReport } from './capacity-report.js';
import { runBaseline } from './capacity-measure.js';
import type { Baseline } from './capacity-measure.js';
import { runCapacity } from './capacity-run.js';
import { formatProfile } from './cpu-profile.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '1000,10000' },
    seconds: { type: 'string', default: '120' },
    interval: { type: 'string', default: '15' },
    faults: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    timeout: { type: 'string' },
    verify: { type: 'string' },
    mjpeg: { type: 'string', default: '0' },
    'max-concurrent': { type: 'string' },
    'max-per-host': { type: 'string' },
    'soak-minutes': { type: 'string', default: '0' },
    'scrape-every': { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    baseline: { type: 'boolean', default: true },
    'node-options': { type: 'string' },
    'node-flags': { type: 'string' },
  },
  strict: true,
  allowNegative: true,
});

function number(raw: string | undefined, flag: string, min: number): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n) || n < min) throw new Error(`--${flag} wants a number >= ${min}, got ${String(raw)}`);
  return n;
}

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const quick = values.quick;
  const counts = quick ? [100] : values.cameras.split(',').map((c) => number(c.trim(), 'cameras', 1));
  const intervalS = number(values.interval, 'interval', 1);
  const seconds = quick ? 30 : number(values.seconds, 'seconds', 10);
  const verify = values.verify;
  if (verify !== undefined && !['auto', 'packet', 'keyframe', 'decode'].includes(verify)) throw new Error(`--verify: unknown level ${verify}`);
  const nodeFlags = values['node-flags'] !== undefined ? values['node-flags'].split(/\s+/).filter(Boolean) : [...NODE_FLAGS];
  const machine = machineInfo();
  log(`machine: ${machine.cpu} × ${machine.cores}, ${machine.memoryGB} GB, load ${machine.loadavg.join(' ')}; node ${process.version}`);

  let baseline: Baseline | undefined;
  if (values.baseline && !quick) {
    baseline = await runBaseline(nodeFlags, values['node-options']);
    log(`baseline (same flow, no camera): RSS ${baseline.rssMB} MB (Node-RED alone, empty flow: ${baseline.nodeRedAloneRssMB ?? '-'} MB), heap ${baseline.heapMB} MB, ${baseline.handles} handles, CPU ${baseline.cpuPercent ?? '-'} %`);
  }
  const reports: RunReport[] = [];
  for (const cameras of counts) {
    const mjpeg = number(values.mjpeg, 'mjpeg', 0);
    // Enough slots for a second's worth of probes: cameras that time out hold theirs for the
    // whole timeout, and a too small cap shows up as schedule lag, not as a slower probe.
    const maxConcurrent = values['max-concurrent'] !== undefined ? number(values['max-concurrent'], 'max-concurrent', 1) : Math.max(64, Math.ceil((cameras + mjpeg) / intervalS));
    // The fleet puts thousands of cameras behind one port (an NVR, to the per-host cap): real cameras are one host each.
    const maxPerHost = values['max-per-host'] !== undefined ? number(values['max-per-host'], 'max-per-host', 1) : cameras + mjpeg;
    log(`=== ${cameras} cameras at ${intervalS} s ===`);
    const raw = await runCapacity({
      cameras, mjpeg, intervalS, seconds, maxConcurrent, maxPerHost,
      ...(values.timeout !== undefined ? { timeoutS: number(values.timeout, 'timeout', 0.5) } : {}),
      ...(verify !== undefined ? { verify } : {}),
      outagesPerCameraHour: number(values.faults, 'faults', 0),
      seed: number(values.seed, 'seed', 0),
      soakMinutes: quick ? 0 : number(values['soak-minutes'], 'soak-minutes', 0),
      scrapeEveryS: number(values['scrape-every'], 'scrape-every', 1),
      profile: values.profile,
      ...(values['node-options'] !== undefined ? { nodeOptions: values['node-options'] } : {}),
      nodeFlags,
      keep: values.keep,
      log,
    });
    const report = summarizeRun(raw, baseline);
    reports.push(report);
    console.log(`\n${details(report)}\n`);
    if (report.profile) console.log(`CPU profile of Node-RED over the measured window:\n${formatProfile(report.profile)}\n`);
    save(report, machine);
  }
  console.log(table(reports));
}

/** Merges the run into bench-results/capacity.json, replacing an earlier run of the same label. */
function save(report: RunReport, machine: ReturnType<typeof machineInfo>): void {
  const dir = join(process.cwd(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'capacity.json');
  let runs: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const old = JSON.parse(readFileSync(file, 'utf8')) as { runs?: Record<string, unknown> };
      runs = old.runs ?? {};
    } catch {
      runs = {};
    }
  }
  runs[report.label] = { date: new Date().toISOString(), host: machine, node: process.version, ...report };
  writeFileSync(file, `${JSON.stringify({ runs }, null, 1)}\n`);
  log(`wrote ${file} (${report.label})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
