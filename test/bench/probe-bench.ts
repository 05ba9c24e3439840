/**
 * `npm run bench:probe`: what one probe of a live RTSP camera costs, native prober vs one ffprobe
 * process per probe, against the same local GStreamer RTSP server (/h264, 640x480 10 fps).
 *
 *   node dist/test/bench/probe-bench.js [--n 200] [--concurrency 1] [--ffprobe-n 50] [--mount /h264]
 *
 * Prints a table and writes bench-results/probe.json. Linux only (reads /proc for child CPU time
 * and peak memory). Not a test: it asserts nothing, it measures.
 *
 * How each figure is measured, and why it is fair to ffprobe:
 * - Native CPU: `process.cpuUsage()` delta over the whole phase (all threads of this process:
 *   JS, GC, libuv), divided by the probe count.
 * - ffprobe CPU: `process.resourceUsage()` and `cpuUsage()` cover this process only, never its
 *   children. The kernel adds the CPU time of every child we reap (libuv waitpid()s each ffprobe) to
 *   our `cutime`/`cstime` (/proc/self/stat fields 16–17, see proc(5)); their delta over the ffprobe
 *   phase is the exact total of the ffprobe processes (the GStreamer server is a child too, but it
 *   is not reaped until the end, so it never counts). No wrapper such as /usr/bin/time is used, so
 *   no wrapper CPU is charged to ffprobe, and the per-sample 10 ms truncation of `time -f %U` does
 *   not bias a mean of ~50 ms probes. The fork/exec/pipe work in this process is charged to nobody.
 * - ffprobe peak RSS: VmHWM ("high water mark") of /proc/<pid>/status, polled every 10 ms while
 *   the child lives; VmHWM is monotonic, so the last read is the peak up to ≤10 ms before exit.
 * - Native peak RSS: process.memoryUsage.rss() sampled every 50 ms during the phase, and
 *   process.resourceUsage().maxRSS (lifetime peak of this process).
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProbeResult, VerifyLevel } from '../../nodes/lib/heartbeat.js';
import { resolveFfprobe } from '../../nodes/lib/probe/ffprobe.js';
import { probe } from '../../nodes/lib/probe/index.js';
import { startGstRtspServer } from '../fixtures/gst-rtsp.js';

interface Run {
  name: string;
  probes: number;
  concurrency: number;
  ok: number;
  wallS: number;
  probesPerS: number;
  cpuMsPerProbe: number;
  latencyMs: { p50: number; p95: number; max: number };
  peakRssMB: number;
  maxRssMB?: number;
  /** Media read per probe to reach the evidence (native levels): what each level costs the network. */
  mediaKiBPerProbe?: number;
  failures: string[];
}

const PROBE_TIMEOUT_MS = 15_000;
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1' },
    // ffprobe spends ~3 s of wall time per probe on a live stream (stream analysis), so 200
    // sequential runs take 10 minutes; 50 give a stable mean of its CPU cost. Override at will.
    'ffprobe-n': { type: 'string' },
    mount: { type: 'string', default: '/h264' },
  },
});
const N = positiveInt(values.n, '--n');
const CONCURRENCY = positiveInt(values.concurrency, '--concurrency');
const FFPROBE_N = values['ffprobe-n'] !== undefined ? positiveInt(values['ffprobe-n'], '--ffprobe-n') : Math.min(N, 50);

function positiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} wants a positive integer, got "${raw}"`);
  return n;
}

/** Runs `count` tasks, at most `concurrency` at a time; returns each task's latency and success. */
async function pool(count: number, concurrency: number, task: () => Promise<string | undefined>) {
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const t0 = performance.now();
      const failure = await task();
      latencies.push(performance.now() - t0);
      if (failure !== undefined) failures.push(failure);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latencies, failures };
}

function percentiles(values: number[]): Run['latencyMs'] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95), max: Math.round(sorted.at(-1) ?? 0) };
}

/** Samples this process's RSS so a short-lived peak is not missed. */
function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50); // rarely: the sampler's own wake-ups are charged to the native prober's CPU
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU ms of all children this process has reaped (proc(5): cutime + cstime, in clock ticks). */
function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after "pid (comm) " start at field 3; comm may contain spaces, so cut at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(fields[16 - 3]);
  const cstime = Number(fields[17 - 3]);
  return ((cutime + cstime) * 1000) / CLK_TCK;
}

const selfCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function nativeRun(url: string, verify: VerifyLevel, count: number, concurrency: number): Promise<Run> {
  const sampler = rssSampler();
  const cpu0 = selfCpuMs();
  const children0 = reapedChildrenCpuMs();
  const t0 = performance.now();
  let mediaBytes = 0;
  const { latencies, failures } = await pool(count, concurrency, async () => {
    const result: ProbeResult = await probe({ url, verify }, { timeoutMs: PROBE_TIMEOUT_MS });
    mediaBytes += result.evidence?.mediaBytes ?? 0;
    return result.ok ? undefined : `${result.code}: ${result.message}`;
  });
  const wallS = (performance.now() - t0) / 1000;
  // `decode` spawns ffprobe: its children's CPU is part of the native prober's cost.
  const cpuMs = selfCpuMs() - cpu0 + (reapedChildrenCpuMs() - children0);
  const peak = sampler.stop();
  return {
    name: `native ${verify}`,
    probes: count,
    concurrency,
    ok: count - failures.length,
    wallS: round(wallS, 2),
    probesPerS: round(count / wallS, 2),
    cpuMsPerProbe: round(cpuMs / count, 3),
    latencyMs: percentiles(latencies),
    peakRssMB: mb(peak),
    maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
    mediaKiBPerProbe: round(mediaBytes / count / 1024, 1),
    failures: summarize(failures),
  };
}

/** One ffprobe as a user would type it; resolves with a failure reason or undefined, and the child's VmHWM. */
function ffprobeOnce(bin: string, url: string, peaks: number[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['-v', 'error', '-rtsp_transport', 'tcp', '-show_streams', '-of', 'json', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let hwmKB = 0;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m?.[1]) hwmKB = Math.max(hwmKB, Number(m[1]));
      } catch {
        // exited between two polls
      }
    }, 10);
    const killer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', () => undefined); // 'close' follows and reports the failure
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(killer);
      if (hwmKB > 0) peaks.push(hwmKB * 1024);
      if (code !== 0) return resolve(`exit ${String(code ?? signal)}: ${err.trim().split('\n').at(-1) ?? ''}`);
      resolve(/"codec_type": "video"/.test(out) ? undefined : 'no video stream in the output');
    });
  });
}

async function ffprobeRun(bin: string, url: string, count: number, concurrency: number): Promise<Run> {
  const peaks: number[] = [];
  const children0 = reapedChildrenCpuMs();
  const t0 = performance.now();
  const { latencies, failures } = await pool(count, concurrency, () => ffprobeOnce(bin, url, peaks));
  const wallS = (performance.now() - t0) / 1000;
  const cpuMs = reapedChildrenCpuMs() - children0;
  return {
    name: 'ffprobe per probe',
    probes: count,
    concurrency,
    ok: count - failures.length,
    wallS: round(wallS, 2),
    probesPerS: round(count / wallS, 2),
    cpuMsPerProbe: round(cpuMs / count, 3),
    latencyMs: percentiles(latencies),
    peakRssMB: mb(Math.max(0, ...peaks)),
    failures: summarize(failures),
  };
}

function summarize(failures: string[]): string[] {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts].map(([f, n]) => `${n}× ${f}`);
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

function table(runs: Run[]): string {
  const head = ['run', 'probes', 'conc', 'ok', 'wall s', 'probes/s', 'CPU ms/probe', 'p50 ms', 'p95 ms', 'media KiB', 'peak RSS MB'];
  const rows = runs.map((r) => [
    r.name, String(r.probes), String(r.concurrency), String(r.ok), r.wallS.toFixed(2), r.probesPerS.toFixed(2),
    r.cpuMsPerProbe.toFixed(3), String(r.latencyMs.p50), String(r.latencyMs.p95),
    r.mediaKiBPerProbe !== undefined ? r.mediaKiBPerProbe.toFixed(1) : '-',
    r.maxRssMB !== undefined ? `${r.peakRssMB} (max ${r.maxRssMB})` : String(r.peakRssMB),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const bin = resolveFfprobe();
  if (!bin) throw new Error('no ffprobe on PATH and no ffprobe-static binary for this platform');
  const ffprobeVersion = execFileSync(bin, ['-version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  // One pipeline per client (the fixture's default; its shared mode crashes gst-rtsp-server 1.22
  // under concurrent sessions). Each probe therefore meets a fresh encoder that starts with a
  // keyframe: the keyframe level's wall time is a best case (a real camera is mid-GOP), its CPU
  // cost on our side is not.
  const gst = await startGstRtspServer();
  try {
    const url = gst.url(values.mount);
    console.log(`GStreamer RTSP server on ${url}; ${ffprobeVersion}`);
    console.log(`native: ${N} probes per level; ffprobe: ${FFPROBE_N} probes; concurrency ${CONCURRENCY}\n`);

    // Warm-up (JIT, the shared GStreamer pipeline, page cache of the ffprobe binary), not measured.
    await nativeRun(url, 'keyframe', 3, 1);
    await ffprobeRun(bin, url, 1, 1);

    const runs: Run[] = [];
    for (const level of ['packet', 'keyframe'] as const) {
      runs.push(await nativeRun(url, level, N, CONCURRENCY));
      console.log(`  done: native ${level}`);
    }
    runs.push(await ffprobeRun(bin, url, FFPROBE_N, CONCURRENCY));
    console.log('  done: ffprobe');
    // The native prober's own `decode` level (keyframe, then ffprobe decodes ~2 s): a few samples.
    const decode = await nativeRun(url, 'decode', 3, 1);
    runs.push(decode);

    const ff = runs.find((r) => r.name === 'ffprobe per probe');
    const ratios: Record<string, number> = {};
    for (const r of runs) {
      if (r.name.startsWith('native') && ff && r.cpuMsPerProbe > 0) ratios[r.name] = round(ff.cpuMsPerProbe / r.cpuMsPerProbe, 1);
    }
    console.log(`\n${table(runs)}\n`);
    for (const [name, ratio] of Object.entries(ratios)) {
      console.log(`CPU per probe, ffprobe / ${name}: ${ratio}×${name === 'native decode' ? '' : ratio >= 50 ? '  (goal ≥ 50×: met)' : '  (goal ≥ 50×: NOT met)'}`);
    }
    for (const r of runs) for (const f of r.failures) console.log(`  ${r.name} failure: ${f}`);
    if (runs.some((r) => r.failures.length > 0)) console.log(`\nGStreamer stderr (tail):\n${gst.stderr().slice(-2000)}`);

    const dir = join(process.cwd(), 'bench-results');
    mkdirSync(dir, { recursive: true });
    const report = {
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
      ffprobe: { path: bin, version: ffprobeVersion, command: 'ffprobe -v error -rtsp_transport tcp -show_streams -of json URL' },
      target: `GStreamer RTSP server ${values.mount}`,
      runs,
      cpuRatioFfprobeOverNative: ratios,
    };
    writeFileSync(join(dir, 'probe.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${join(dir, 'probe.json')}`);
  } finally {
    await gst.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
