/**
 * One capacity run at N cameras: fleet (child) + Mosquitto + a real Node-RED with the node
 * chain; warm-up, a measured window, an optional soak, then accuracy against the fleet's truth.
 * Everything it starts is stopped on every path.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mosquittoUnavailableReason, startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker } from '../fixtures/mosquitto.js';
import { startNodeRed } from '../fixtures/node-red-process.js';
import type { NodeRedProcess } from '../fixtures/node-red-process.js';
import { fetchOutages, scoreAccuracy } from './capacity-accuracy.js';
import type { AccuracyReport } from './capacity-accuracy.js';
import { BASE, NODE_RED_CMDLINE, dbFigures, measureScrapeCost, scrapeLoop } from './capacity-measure.js';
import type { DbFigures } from './capacity-measure.js';
import { MqttWatcher } from './capacity-mqtt.js';
import type { MessageCounts } from './capacity-mqtt.js';
import { childPids, machineSample, procSample } from './capacity-procs.js';
import type { MachineSample, ProcSample } from './capacity-procs.js';
import { scrape, scrapeUntil } from './capacity-scrape.js';
import type { Scrape } from './capacity-scrape.js';
import { benchFlow, startFleetChild } from './capacity-setup.js';
import type { FleetChild } from './capacity-setup.js';
import { readProfile, summarizeProfile } from './cpu-profile.js';
import type { ProfileSummary } from './cpu-profile.js';

export interface RunOptions {
  cameras: number;
  mjpeg: number;
  intervalS: number;
  /** Per-stream timeout (s); default: the streams file's default, min(10 s, interval). */
  timeoutS?: number;
  verify?: string;
  outagesPerCameraHour: number;
  seed: number;
  seconds: number;
  soakMinutes: number;
  scrapeEveryS: number;
  maxConcurrent: number;
  maxPerHost: number;
  profile: boolean;
  /** NODE_OPTIONS of the Node-RED process. */
  nodeOptions?: string;
  /** Node.js flags of the Node-RED process (default: the shipped NODE_FLAGS). */
  nodeFlags: readonly string[];
  keep: boolean;
  log: (line: string) => void;
}

/** A point in time: what every source said then. */
export interface Snapshot {
  at: number;
  scrape: Scrape;
  nodeRed: ProcSample | undefined;
  fleet: ProcSample | undefined;
  broker: ProcSample | undefined;
  bench: { cpuS: number };
  machine: MachineSample;
  mqtt: MessageCounts;
  mqttReasons: Record<string, number>;
  loadavg: number[];
}

export interface RawRun {
  options: Omit<RunOptions, 'log'>;
  timeoutS: number;
  startupMs: number;
  scheduledAt: number;
  start: Snapshot;
  end: Snapshot;
  scrapes: Scrape[];
  db: DbFigures;
  scrapeCostCpuMs: number | undefined;
  accuracy: AccuracyReport | undefined;
  soakAccuracy: AccuracyReport | undefined;
  outagesTruncated: boolean;
  profile: ProfileSummary | undefined;
  profileFile: string | undefined;
  fleetStats: string;
  mqttMalformed: number;
}

const TOLERANCE_MS = 2000;

const sleepUntil = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - Date.now())));

export async function runCapacity(o: RunOptions): Promise<RawRun> {
  const reason = mosquittoUnavailableReason();
  if (reason) throw new Error(reason);
  const timeoutS = o.timeoutS ?? Math.min(10, o.intervalS);
  // Long enough for every fault that began in the window to be declared: the next probe (≤ 1.05
  // intervals), its timeout, the retry 1 s later and its timeout, then MQTT.
  const settleMs = Math.round((1.1 * o.intervalS + 2 * timeoutS + 5) * 1000);
  // Node-RED schedules 10,000 streams within ~4 s of its start here; the rest is margin.
  const startupAllowanceS = 8 + Math.ceil(o.cameras / 1000);
  const faultsAfterS = startupAllowanceS + o.intervalS + 2;
  const totalS = faultsAfterS + o.seconds + o.soakMinutes * 60 + settleMs / 1000 + 120;

  const dir = await mkdtemp(join(tmpdir(), `streampulse-capacity-${o.cameras}-`));
  const profileDir = join(dir, 'profile');
  let broker: MosquittoBroker | undefined;
  let watcher: MqttWatcher | undefined;
  let fleet: FleetChild | undefined;
  let red: NodeRedProcess | undefined;
  let stopScraper: (() => Promise<void>) | undefined;
  try {
    broker = await startMosquitto();
    const brokerPid = childPids(process.pid, /mosquitto/)[0];
    watcher = await MqttWatcher.start(broker.url());
    o.log(`fleet: ${o.cameras} RTSP${o.mjpeg ? ` + ${o.mjpeg} MJPEG` : ''} cameras, ${o.outagesPerCameraHour} outages/camera-hour after ${faultsAfterS} s`);
    const fleetStarted = Date.now();
    fleet = await startFleetChild({
      cameras: o.cameras, mjpeg: o.mjpeg, intervalS: o.intervalS, outagesPerCameraHour: o.outagesPerCameraHour,
      durationMin: Math.ceil(totalS / 60), faultsAfterS, seed: o.seed, out: join(dir, 'fleet'),
      ...(o.timeoutS !== undefined ? { timeoutS: o.timeoutS } : {}),
      ...(o.verify !== undefined ? { verify: o.verify } : {}),
    });
    const faultsFrom = fleetStarted + faultsAfterS * 1000;

    const redStarted = Date.now();
    red = await startNodeRed({
      flows: benchFlow({ streamsPath: fleet.streamsPath, mqttUrl: broker.url(), maxConcurrent: o.maxConcurrent, maxPerHost: o.maxPerHost, base: BASE }),
      userDir: join(dir, 'node-red'),
      execArgv: o.nodeFlags,
      env: { NODE_OPTIONS: [o.nodeOptions ?? '', o.profile ? `--cpu-prof --cpu-prof-dir=${profileDir}` : ''].join(' ').trim() },
    });
    const redPid = childPids(process.pid, NODE_RED_CMDLINE)[0];
    const metricsUrl = `${red.url}${BASE}/metrics`;
    const ready = await scrapeUntil(metricsUrl, (s) => s.scheduledStreams === o.cameras + o.mjpeg, 300_000);
    const scheduledAt = ready.at;
    o.log(`node-red: ${o.cameras + o.mjpeg} streams scheduled ${((scheduledAt - redStarted) / 1000).toFixed(1)} s after start; warming up for one interval`);

    const scrapes: Scrape[] = [];
    stopScraper = scrapeLoop(metricsUrl, o.scrapeEveryS * 1000, scrapes, o.log);
    const snapshot = async (): Promise<Snapshot> => ({
      at: Date.now(),
      scrape: await scrape(metricsUrl),
      nodeRed: redPid !== undefined ? procSample(redPid) : undefined,
      fleet: procSample((fleet as FleetChild).pid),
      broker: brokerPid !== undefined ? procSample(brokerPid) : undefined,
      bench: { cpuS: (process.cpuUsage().user + process.cpuUsage().system) / 1e6 },
      machine: machineSample(),
      mqtt: (watcher as MqttWatcher).snapshot(),
      mqttReasons: (watcher as MqttWatcher).reasons(),
      loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    });

    const m0 = Math.max(scheduledAt + o.intervalS * 1000 + 2000, faultsFrom);
    await sleepUntil(m0);
    const start = await snapshot();
    o.log(`measuring ${o.seconds} s from ${new Date(start.at).toISOString()}`);
    await sleepUntil(start.at + o.seconds * 1000);
    const end = await snapshot();
    const soakEnd = end.at + o.soakMinutes * 60_000;
    if (o.soakMinutes > 0) {
      o.log(`soak: ${o.soakMinutes} min`);
      await sleepUntil(soakEnd);
    }
    o.log(`settling ${Math.round(settleMs / 1000)} s so faults of the window can be declared`);
    await sleepUntil(Date.now() + settleMs);
    await stopScraper();
    stopScraper = undefined;

    const scrapeCostCpuMs = redPid !== undefined ? await measureScrapeCost(metricsUrl, redPid) : undefined;
    const db = await dbFigures(join(red.userDir, 'streampulse.db'), start.at, end.at);
    const truth = (await fleet.readTruth()).intervals;
    const { outages, truncated } = await fetchOutages(`${red.url}${BASE}`, start.at - 30 * 60_000, Date.now());
    const episodes = watcher.episodes();
    const detectionOptions = {
      toleranceMs: TOLERANCE_MS,
      minDetectableMs: Math.round((1.05 * o.intervalS + timeoutS + 2) * 1000),
      goalMs: (o.intervalS + timeoutS + 1) * 1000,
    };
    const accuracy = scoreAccuracy(truth, outages, episodes, { ...detectionOptions, from: start.at, until: end.at });
    const soakAccuracy = o.soakMinutes > 0 ? scoreAccuracy(truth, outages, episodes, { ...detectionOptions, from: start.at, until: soakEnd }) : undefined;

    await red.stop(30_000);
    const profileFile = o.profile ? newestProfile(profileDir) : undefined;
    // The profile clock starts with the process: keep the measured window only.
    const profile = profileFile
      ? summarizeProfile(readProfile(profileFile), { fromMs: start.at - redStarted, toMs: end.at - redStarted, top: 30 })
      : undefined;
    const { log: _log, ...options } = o;
    return {
      options,
      timeoutS, startupMs: scheduledAt - redStarted, scheduledAt, start, end, scrapes, db, scrapeCostCpuMs,
      accuracy, soakAccuracy, outagesTruncated: truncated, profile, profileFile: o.keep ? profileFile : undefined,
      fleetStats: fleet.stderr(), mqttMalformed: watcher.malformed,
    };
  } finally {
    await stopScraper?.();
    await red?.stop(30_000).catch(() => undefined);
    await fleet?.stop().catch(() => undefined);
    await watcher?.close();
    await broker?.dispose().catch(() => undefined);
    if (!o.keep) await rm(dir, { recursive: true, force: true });
    else o.log(`kept ${dir}`);
  }
}

function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const last = files.at(-1);
  return last ? join(dir, last) : undefined;
}
