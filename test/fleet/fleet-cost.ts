/**
 * What the fleet simulator itself costs: starts fleet-cli.js as a child process, probes every
 * camera once per interval with the real `probe()` (connect, OPTIONS…PLAY, first IDR, TEARDOWN),
 * spread evenly over the interval, and samples the child's CPU time and RSS from /proc.
 *
 *   node dist/test/fleet/fleet-cost.js --cameras 1000 [--interval 15] [--seconds 60]
 *     [--verify keyframe] [--timeout 10] [--max-inflight 2000] [--ports N]
 *
 * Prints a summary and writes bench-results/fleet-cost-<cameras>.json. Linux only. Not a test:
 * it measures. The driver (this process) is the monitor's stand-in and is measured apart: the
 * fleet's figures are the child's alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { ProbeCode, VerifyLevel } from '../../nodes/lib/heartbeat.js';
import { loadStreamsFile } from '../../nodes/lib/config/index.js';
import { probe } from '../../nodes/lib/probe/index.js';
import { delayStats } from './score.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '15' },
    seconds: { type: 'string', default: '60' },
    verify: { type: 'string', default: 'keyframe' },
    timeout: { type: 'string', default: '10' },
    'max-inflight': { type: 'string', default: '2000' },
    ports: { type: 'string' },
  },
});
const CAMERAS = Number(values.cameras);
const INTERVAL_MS = Number(values.interval) * 1000;
const RUN_MS = Number(values.seconds) * 1000;
const TIMEOUT_MS = Number(values.timeout) * 1000;
const MAX_INFLIGHT = Number(values['max-inflight']);
const VERIFY = values.verify as VerifyLevel;
const CLK_TCK = clockTicks();

interface ProcSample {
  at: number;
  cpuS: number;
  userS: number;
  rssMB: number;
}

function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm) ": state is field 3, utime 14, stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userS = Number(fields[11]) / CLK_TCK;
  const cpuS = userS + Number(fields[12]) / CLK_TCK;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { at: performance.now(), cpuS, userS, rssMB: rss ? Number(rss[1]) / 1024 : 0 };
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

async function main(): Promise<void> {
  const cli = join(__dirname, 'fleet-cli.js');
  const args = [cli, '--rtsp', String(CAMERAS), '--interval', String(INTERVAL_MS / 1000), ...(values.ports ? ['--ports', values.ports] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const streamsPath = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fleet not ready within 120 s: ${stderr}`)), 120_000);
    let path = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('streams file: ')) path = line.slice('streams file: '.length);
      if (line === 'ready') {
        clearTimeout(timer);
        resolve(path);
      }
    });
    child.once('exit', () => reject(new Error(`fleet exited early: ${stderr}`)));
  });
  const pid = child.pid as number;
  const loadStart = performance.now();
  const loaded = await loadStreamsFile(streamsPath);
  if (!loaded.ok) throw new Error(`streams file invalid: ${loaded.errors.slice(0, 3).join('; ')}`);
  const loadMs = Math.round(performance.now() - loadStart);
  const urls = loaded.config.streams.map((s) => s.url);

  const idle = sampleProc(pid);
  const samples: ProcSample[] = [idle];
  const sampler = setInterval(() => samples.push(sampleProc(pid)), 1000);
  const driverCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const spacing = INTERVAL_MS / urls.length;
  const codes = new Map<ProbeCode, number>();
  const latencies: number[] = [];
  const lags: number[] = [];
  let launched = 0;
  let inflight = 0;
  let skipped = 0;
  const launch = (): void => {
    const now = performance.now();
    // Every probe due by now, in camera order: camera i is due at t0 + i·spacing + k·interval.
    while (t0 + launched * spacing <= now && now - t0 < RUN_MS) {
      if (inflight >= MAX_INFLIGHT) {
        skipped++;
        launched++;
        continue;
      }
      const due = t0 + launched * spacing;
      const url = urls[launched % urls.length] as string;
      launched++;
      inflight++;
      lags.push(now - due);
      probe({ url, verify: VERIFY }, { timeoutMs: TIMEOUT_MS }).then(
        (r) => {
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
          latencies.push(r.latencyMs);
        },
        () => codes.set('protocol_error', (codes.get('protocol_error') ?? 0) + 1),
      ).finally(() => inflight--);
    }
  };
  const pump = setInterval(launch, 5);
  await new Promise((resolve) => setTimeout(resolve, RUN_MS));
  clearInterval(pump);
  const until = performance.now() + TIMEOUT_MS + 2000;
  while (inflight > 0 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  const wallS = (performance.now() - t0) / 1000;
  const driverCpu = process.cpuUsage(driverCpu0);
  clearInterval(sampler);
  const last = sampleProc(pid);
  samples.push(last);
  child.kill('SIGINT');
  await exited;

  const probes = [...codes.values()].reduce((a, b) => a + b, 0);
  const fleetCpuS = last.cpuS - idle.cpuS;
  // Steady state: the second half of the run, past start-up and JIT warm-up.
  const mid = samples[Math.floor(samples.length / 2)] as ProcSample;
  const steadyPct = (100 * (last.cpuS - mid.cpuS)) / ((last.at - mid.at) / 1000);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    cameras: urls.length,
    intervalS: INTERVAL_MS / 1000,
    verify: VERIFY,
    runS: Math.round(wallS),
    targetProbesPerS: Math.round((1000 * urls.length) / INTERVAL_MS),
    achievedProbesPerS: Math.round(probes / wallS),
    probes,
    skippedAtInflightCap: skipped,
    codes: Object.fromEntries(codes),
    probeLatencyMs: delayStats(latencies),
    driverLaunchLagMs: delayStats(lags.map(Math.round)),
    streamsFileLoadMs: loadMs,
    fleet: {
      cpuPercentOfOneCore: Math.round((1000 * fleetCpuS) / wallS) / 10,
      steadyCpuPercentOfOneCore: Math.round(10 * steadyPct) / 10,
      userCpuShare: fleetCpuS > 0 ? Math.round((100 * (last.userS - idle.userS)) / fleetCpuS) / 100 : undefined,
      cpuMsPerProbe: probes > 0 ? Math.round((100_000 * fleetCpuS) / probes) / 100 : undefined,
      rssMB: { idle: Math.round(idle.rssMB), max: Math.round(Math.max(...samples.map((s) => s.rssMB))), end: Math.round(last.rssMB) },
      /** RSS every ~5 s of the run: it must flatten, not climb. */
      rssSeriesMB: samples.filter((_, i) => i % 5 === 0).map((x) => Math.round(x.rssMB)),
      finalStats: stderr.split('\n').find((l) => l.includes('stopping;')) ?? '',
    },
    driver: { cpuPercentOfOneCore: Math.round((driverCpu.user + driverCpu.system) / 1000 / wallS / 10) },
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(join('bench-results', `fleet-cost-${urls.length}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
