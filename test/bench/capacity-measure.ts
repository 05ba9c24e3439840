/**
 * The instruments of a capacity run besides the scrape itself: the 5 s scrape loop, what one
 * scrape costs Node-RED, the heartbeat rows of the window (read-only), and the no-camera baseline.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../nodes/lib/store/db.js';
import { startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker } from '../fixtures/mosquitto.js';
import { startNodeRed } from '../fixtures/node-red-process.js';
import type { NodeRedProcess } from '../fixtures/node-red-process.js';
import { childPids, procSample } from './capacity-procs.js';
import { scrape } from './capacity-scrape.js';
import type { Scrape } from './capacity-scrape.js';
import { benchFlow } from './capacity-setup.js';

export const BASE = '/streampulse';
/** Node-RED sets process.title, which rewrites /proc/<pid>/cmdline to `node-red`. */
export const NODE_RED_CMDLINE = /^node-red(\s|$)|node-red\/red\.js/;

export interface DbFigures {
  rows: number;
  codes: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number };
}

export interface Baseline {
  /** Node-RED alone (no StreamPulse, empty flow), same Node.js flags: what is not ours to cut. */
  nodeRedAloneRssMB?: number;
  rssMB: number;
  heapMB: number;
  handles: number;
  cpuPercent: number | undefined;
}

/**
 * The same flow with no camera at all (after 20 s to settle, then 10 s measured): what Node-RED,
 * our nodes, the store and the MQTT session cost before the first probe. The per-camera cost of
 * a run is its figure minus this.
 */
export async function runBaseline(nodeFlags: readonly string[], nodeOptions?: string): Promise<Baseline> {
  const flow = await flowBaseline(nodeFlags, nodeOptions);
  // After the flow's Node-RED has gone: the pid lookup takes the first Node-RED child.
  const alone = await nodeRedAloneRss(nodeFlags);
  return { ...(alone !== undefined ? { nodeRedAloneRssMB: alone } : {}), ...flow };
}

async function flowBaseline(nodeFlags: readonly string[], nodeOptions: string | undefined): Promise<Baseline> {
  const dir = await mkdtemp(join(tmpdir(), 'streampulse-capacity-0-'));
  let broker: MosquittoBroker | undefined;
  let red: NodeRedProcess | undefined;
  try {
    broker = await startMosquitto();
    const streamsPath = join(dir, 'streams.yaml');
    await writeFile(streamsPath, 'heartbeat_seconds: 15\nstreams: []\n');
    red = await startNodeRed({
      flows: benchFlow({ streamsPath, mqttUrl: broker.url(), maxConcurrent: 64, maxPerHost: 2, base: BASE }),
      userDir: join(dir, 'node-red'),
      execArgv: nodeFlags,
      env: { NODE_OPTIONS: nodeOptions ?? '' },
    });
    const pid = childPids(process.pid, NODE_RED_CMDLINE)[0];
    const url = `${red.url}${BASE}/metrics`;
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const a = pid !== undefined ? procSample(pid) : undefined;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const b = pid !== undefined ? procSample(pid) : undefined;
    const s = await scrape(url);
    return {
      rssMB: Math.round((s.rssBytes ?? 0) / 1048576),
      heapMB: Math.round((s.heapBytes ?? 0) / 1048576),
      handles: s.handles ?? 0,
      cpuPercent: a && b ? Math.round((1000 * (b.cpuS - a.cpuS)) / ((b.at - a.at) / 1000)) / 10 : undefined,
    };
  } finally {
    await red?.stop(10_000).catch(() => undefined);
    await broker?.dispose().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** RSS (MB) of Node-RED with an empty flow and without our package, after 20 s to settle. */
async function nodeRedAloneRss(nodeFlags: readonly string[]): Promise<number | undefined> {
  const red = await startNodeRed({ flows: [], installPackage: false, execArgv: nodeFlags });
  try {
    const pid = childPids(process.pid, NODE_RED_CMDLINE)[0];
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const sample = pid !== undefined ? procSample(pid) : undefined;
    return sample ? Math.round(sample.rssBytes / 1048576) : undefined;
  } finally {
    await red.stop(10_000).catch(() => undefined);
  }
}

/** Scrapes every `everyMs` into `out` until the returned stop is called (and has waited for the last one). */
export function scrapeLoop(url: string, everyMs: number, out: Scrape[], log: (line: string) => void): () => Promise<void> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    let next = Date.now();
    while (!stopped) {
      try {
        out.push(await scrape(url));
      } catch (err) {
        log(`scrape failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      next += everyMs;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(0, next - Date.now()));
      });
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
  };
}

/**
 * CPU one scrape of /metrics costs Node-RED: its CPU over 5 back-to-back scrapes minus its CPU
 * over an equally long quiet stretch just before (the probing goes on meanwhile).
 */
export async function measureScrapeCost(url: string, pid: number): Promise<number | undefined> {
  const n = 5;
  const q0 = procSample(pid);
  const quietStart = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const q1 = procSample(pid);
  const t0 = Date.now();
  for (let i = 0; i < n; i++) await scrape(url);
  const s1 = procSample(pid);
  if (!q0 || !q1 || !s1) return undefined;
  const baselinePerMs = (q1.cpuS - q0.cpuS) / (q1.at - quietStart);
  const extra = s1.cpuS - q1.cpuS - baselinePerMs * (s1.at - t0);
  return Math.max(0, Math.round((1000 * extra) / n));
}

/** Heartbeat rows of the window, read from the store's file with a read-only connection. */
export async function dbFigures(file: string, from: number, until: number): Promise<DbFigures> {
  const db = await Db.open(file, { readOnly: true });
  try {
    const codes = await db.all<{ code: string; n: number }>('SELECT code, COUNT(*) AS n FROM heartbeats WHERE ts >= ? AND ts < ? GROUP BY code', [from, until]);
    const rows = codes.reduce((sum, c) => sum + c.n, 0);
    const okRows = codes.find((c) => c.code === 'ok')?.n ?? 0;
    // Nearest-rank percentiles of the successful probes' latency.
    const at = async (q: number): Promise<number> => {
      const row = await db.get<{ v: number }>(
        'SELECT latency_ms AS v FROM heartbeats WHERE ts >= ? AND ts < ? AND ok = 1 ORDER BY latency_ms LIMIT 1 OFFSET ?',
        [from, until, Math.max(0, Math.ceil(q * okRows) - 1)],
      );
      return row?.v ?? 0;
    };
    return { rows, codes: Object.fromEntries(codes.map((c) => [c.code, c.n])), latencyMs: { p50: await at(0.5), p95: await at(0.95), p99: await at(0.99) } };
  } finally {
    await db.close();
  }
}
