/**
 * Turns a raw capacity run into the figures of BENCHMARKS.md (each with how it was measured),
 * checks them against the goals of issue 8, and prints them as tables.
 */
import type { AccuracyReport } from './capacity-accuracy.js';
import { cpuPercent, machineBusyPercent } from './capacity-procs.js';
import type { Baseline } from './capacity-measure.js';
import type { RawRun } from './capacity-run.js';
import type { Scrape } from './capacity-scrape.js';
import type { ProfileSummary } from './cpu-profile.js';
import { NODE_FLAGS } from '../../nodes/lib/launch/node-flags.js';

export interface Goal {
  goal: string;
  value: number | undefined;
  met: boolean | undefined;
}

export interface SoakPoint {
  minute: number;
  rssMB: number;
  heapMB: number;
  /** V8's reserved heap: flat while RSS climbs means the growth is native (SQLite, malloc) or code. */
  heapTotalMB: number;
  handles: number;
  fds: number;
}

export interface SoakReport {
  minutes: number;
  series: SoakPoint[];
  /** Least-squares slope (MB/min) of RSS over the first and the last third of the series. */
  rssSlopeFirstThird: number;
  rssSlopeLastThird: number;
  handlesSlopeFirstThird: number;
  handlesSlopeLastThird: number;
  /**
   * Lowest heap in use in the first and the last third: the troughs of GC's sawtooth, i.e. what
   * stays live. Rising troughs are a leak in JavaScript; flat ones with a rising RSS point at V8's
   * heap reservations or the native allocator.
   */
  heapTroughMBFirstThird: number;
  heapTroughMBLastThird: number;
  /** The last third grows at most a third as fast as the first, or under 0.2 MB/min (12 MB/h). */
  rssFlattens: boolean;
  /** Handles in the last third grow under 0.5 per minute: no leak of sockets or timers. */
  handlesFlat: boolean;
}

export interface RunReport {
  label: string;
  cameras: number;
  mjpeg: number;
  intervalS: number;
  timeoutS: number;
  verify: string;
  faultsPerCameraHour: number;
  seconds: number;
  maxConcurrent: number;
  nodeOptions?: string;
  startupS: number;
  machine: { loadavgStart: number[]; loadavgEnd: number[]; busyPercentOfOneCore: number };
  probes: { targetPerS: number; rowsPerS: number; codes: Record<string, number>; okLatencyMs: { p50: number; p95: number; p99: number } };
  schedule: { lagP50S?: number; lagP99S?: number; lagMaxS?: number; lagMeanS?: number; inFlightMax?: number; queuedMax?: number };
  eventLoop: { p99S?: number; maxS?: number };
  cpu: {
    nodeRedPercent?: number;
    nodeRedPercentProc?: number;
    /** Node-RED minus what the bench's own scrapes of /metrics cost it (measured after the window). */
    nodeRedPercentWithoutScrapes?: number;
    fleetPercent?: number;
    brokerPercent?: number;
    benchPercent?: number;
  };
  memory: {
    rssMBStart?: number;
    rssMBEnd?: number;
    rssMBMax?: number;
    heapMBEnd?: number;
    /** V8's reserved heap at the end: RSS minus this is code, buffers and the native side (SQLite, malloc). */
    heapTotalMBEnd?: number;
    externalMBEnd?: number;
    baseline?: Baseline;
    rssKBPerCamera?: number;
  };
  handles: { start?: number; end?: number; max?: number; fdsEnd?: number };
  store: { rowsPerS: number; writtenPerS?: number; queueMax?: number };
  mqtt: { messagesPerS: number; statePerS: number; discoveryPerS: number; stateBecause: Record<string, number> };
  scrape: { msP50?: number; bytes?: number; cpuMsPerScrape?: number };
  accuracy: AccuracyReport | undefined;
  soakAccuracy?: AccuracyReport;
  goals: Record<string, Goal>;
  soak?: SoakReport;
  profile?: ProfileSummary;
}

const MB = 1048576;
/** Runs with other Node.js flags than the shipped ones say so in their label (and their JSON key). */
export function flagsLabel(flags: readonly string[]): string {
  if (flags.join(' ') === NODE_FLAGS.join(' ')) return '';
  return flags.length === 0 ? ' [stock node]' : ` [${flags.join(' ')}]`;
}

const r = (v: number | undefined, digits = 1): number | undefined => (v === undefined || !Number.isFinite(v) ? undefined : Math.round(v * 10 ** digits) / 10 ** digits);
const max = (xs: (number | undefined)[]): number | undefined => {
  const ys = xs.filter((x): x is number => x !== undefined);
  return ys.length > 0 ? Math.max(...ys) : undefined;
};
const median = (xs: (number | undefined)[]): number | undefined => {
  const ys = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  return ys.length > 0 ? ys[Math.floor((ys.length - 1) / 2)] : undefined;
};

export function summarizeRun(raw: RawRun, baseline?: Baseline): RunReport {
  const o = raw.options;
  const { start, end } = raw;
  const wallS = (end.at - start.at) / 1000;
  const inWindow = raw.scrapes.filter((s) => s.at >= start.at && s.at <= end.at);
  // Each scrape's quantiles cover the 60 s before it: use those whose minute lies in the window.
  const fullMinute = inWindow.filter((s) => s.at >= start.at + Math.min(60, o.seconds) * 1000);
  const lagScrapes = fullMinute.length > 0 ? fullMinute : inWindow;
  const d = (f: (s: Scrape) => number | undefined): number | undefined => {
    const a = f(start.scrape);
    const b = f(end.scrape);
    return a === undefined || b === undefined ? undefined : b - a;
  };
  const lagCount = d((s) => s.lagCount);
  const lagSum = d((s) => s.lagSumS);
  const cpuDelta = d((s) => s.cpuS);
  const mqttTotal = end.mqtt.total - start.mqtt.total;
  const verify = o.verify ?? 'auto';
  const faultsLabel = o.outagesPerCameraHour > 0 ? `${o.outagesPerCameraHour}/cam-h` : 'clean';

  const report: RunReport = {
    label: `${o.cameras}${o.mjpeg ? `+${o.mjpeg}mjpeg` : ''} ${faultsLabel} ${verify}${o.soakMinutes > 0 ? ` soak${o.soakMinutes}` : ''}${o.nodeOptions ? ` [${o.nodeOptions}]` : ''}${flagsLabel(o.nodeFlags)}`,
    cameras: o.cameras,
    mjpeg: o.mjpeg,
    intervalS: o.intervalS,
    timeoutS: raw.timeoutS,
    verify,
    faultsPerCameraHour: o.outagesPerCameraHour,
    seconds: Math.round(wallS),
    maxConcurrent: o.maxConcurrent,
    ...(o.nodeOptions ? { nodeOptions: o.nodeOptions } : {}),
    startupS: r(raw.startupMs / 1000) ?? 0,
    machine: { loadavgStart: start.loadavg, loadavgEnd: end.loadavg, busyPercentOfOneCore: r(machineBusyPercent(start.machine, end.machine)) ?? 0 },
    probes: {
      targetPerS: r((o.cameras + o.mjpeg) / o.intervalS) ?? 0,
      rowsPerS: r(raw.db.rows / wallS) ?? 0,
      codes: raw.db.codes,
      okLatencyMs: raw.db.latencyMs,
    },
    schedule: {
      lagP50S: r(median(lagScrapes.map((s) => s.lagP50S)), 4),
      lagP99S: r(max(lagScrapes.map((s) => s.lagP99S)), 4),
      lagMaxS: r(max(lagScrapes.map((s) => s.lagMaxS)), 4),
      lagMeanS: lagCount && lagSum !== undefined ? r(lagSum / lagCount, 4) : undefined,
      inFlightMax: max(inWindow.map((s) => s.inFlight)),
      queuedMax: max(inWindow.map((s) => s.queued)),
    },
    eventLoop: { p99S: r(max(lagScrapes.map((s) => s.eldP99S)), 4), maxS: r(max(inWindow.map((s) => s.eldMaxS)), 4) },
    cpu: {
      nodeRedPercent: r(cpuDelta !== undefined ? (100 * cpuDelta) / ((end.scrape.at - start.scrape.at) / 1000) : undefined),
      nodeRedPercentProc: r(cpuPercent(start.nodeRed, end.nodeRed)),
      fleetPercent: r(cpuPercent(start.fleet, end.fleet)),
      brokerPercent: r(cpuPercent(start.broker, end.broker)),
      benchPercent: r((100 * (end.bench.cpuS - start.bench.cpuS)) / wallS),
    },
    memory: {
      rssMBStart: r((start.scrape.rssBytes ?? NaN) / MB),
      rssMBEnd: r((end.scrape.rssBytes ?? NaN) / MB),
      rssMBMax: r((max(inWindow.map((s) => s.rssBytes)) ?? NaN) / MB),
      heapMBEnd: r((end.scrape.heapBytes ?? NaN) / MB),
      heapTotalMBEnd: r((end.scrape.heapTotalBytes ?? NaN) / MB),
      externalMBEnd: r((end.scrape.externalBytes ?? NaN) / MB),
      ...(baseline ? { baseline } : {}),
    },
    handles: { start: start.scrape.handles, end: end.scrape.handles, max: max(inWindow.map((s) => s.handles)), fdsEnd: end.scrape.fds },
    store: { rowsPerS: r(raw.db.rows / wallS) ?? 0, writtenPerS: r((d((s) => s.rowsWritten) ?? NaN) / wallS), queueMax: max(inWindow.map((s) => s.rowsQueued)) },
    mqtt: {
      messagesPerS: r(mqttTotal / wallS) ?? 0,
      statePerS: r((end.mqtt.state - start.mqtt.state) / wallS) ?? 0,
      discoveryPerS: r((end.mqtt.discovery - start.mqtt.discovery) / wallS) ?? 0,
      stateBecause: Object.fromEntries(
        Object.entries(end.mqttReasons).map(([k, v]) => [k, v - (start.mqttReasons[k] ?? 0)]).filter(([, v]) => Number(v) > 0),
      ) as Record<string, number>,
    },
    scrape: { msP50: r(median(inWindow.map((s) => s.ms)), 0), bytes: end.scrape.bytes, cpuMsPerScrape: raw.scrapeCostCpuMs },
    accuracy: raw.accuracy,
    ...(raw.soakAccuracy ? { soakAccuracy: raw.soakAccuracy } : {}),
    goals: {},
    ...(raw.profile ? { profile: raw.profile } : {}),
  };
  const rssMax = report.memory.rssMBMax;
  if (baseline && rssMax !== undefined) report.memory.rssKBPerCamera = r((1024 * (rssMax - baseline.rssMB)) / (o.cameras + o.mjpeg), 0);
  const scrapeCost = raw.scrapeCostCpuMs;
  if (scrapeCost !== undefined && report.cpu.nodeRedPercent !== undefined) {
    report.cpu.nodeRedPercentWithoutScrapes = r(report.cpu.nodeRedPercent - scrapeCost / (10 * o.scrapeEveryS));
  }
  report.goals = goals(report);
  if (o.soakMinutes > 0) report.soak = soak(raw.scrapes.filter((s) => s.at >= start.at), start.at);
  return report;
}

function goals(rep: RunReport): Record<string, Goal> {
  const out: Record<string, Goal> = {
    scheduleLagP99: { goal: 'p99 schedule lag < 1 s', value: rep.schedule.lagP99S, met: rep.schedule.lagP99S === undefined ? undefined : rep.schedule.lagP99S < 1 },
  };
  if (rep.cameras >= 10_000) {
    const cpu = rep.cpu.nodeRedPercent;
    out.cpu = { goal: '< 50 % of one core at 10,000 cameras', value: cpu, met: cpu === undefined ? undefined : cpu < 50 };
  }
  if (rep.cameras <= 1000) {
    const rss = rep.memory.rssMBMax;
    out.rss = { goal: 'RSS < 150 MB at 1,000 cameras', value: rss, met: rss === undefined ? undefined : rss < 150 };
  }
  const acc = rep.accuracy;
  if (acc && rep.faultsPerCameraHour > 0) {
    const p95 = acc.outages.detectionDelayMs?.p95;
    out.detection = { goal: `outage declared within interval + timeout + 1 s = ${acc.goalMs / 1000} s (p95)`, value: p95 === undefined ? undefined : p95 / 1000, met: p95 === undefined ? undefined : p95 <= acc.goalMs };
    out.missedOutages = { goal: 'no missed outage (down, slow, auth)', value: acc.outages.missed, met: acc.outages.missed === 0 };
  }
  if (acc && rep.faultsPerCameraHour === 0) out.falseAlarms = { goal: 'zero false alarms in a clean run', value: acc.falseAlarms, met: acc.falseAlarms === 0 };
  else if (acc) out.falseAlarms = { goal: 'no false alarms', value: acc.falseAlarms, met: acc.falseAlarms === 0 };
  return out;
}

function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx > 0 ? points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx : 0;
}

/** RSS and handles every 30 s from the measured window on, and whether their growth flattens. */
export function soak(scrapes: Scrape[], from: number): SoakReport {
  const series: SoakPoint[] = [];
  let next = from;
  for (const s of scrapes) {
    if (s.at < next) continue;
    next = s.at + 30_000 - 2500; // every ~30 s of 5 s scrapes
    series.push({
      minute: Math.round((s.at - from) / 6000) / 10,
      rssMB: Math.round((s.rssBytes ?? 0) / MB),
      heapMB: Math.round((s.heapBytes ?? 0) / MB),
      heapTotalMB: Math.round((s.heapTotalBytes ?? 0) / MB),
      handles: s.handles ?? 0,
      fds: s.fds ?? 0,
    });
  }
  const third = Math.max(2, Math.floor(series.length / 3));
  const first = series.slice(0, third);
  const last = series.slice(-third);
  const fit = (pts: SoakPoint[], y: (p: SoakPoint) => number): number => Math.round(100 * slope(pts.map((p) => ({ x: p.minute, y: y(p) })))) / 100;
  const rssFirst = fit(first, (p) => p.rssMB);
  const rssLast = fit(last, (p) => p.rssMB);
  const handlesLast = fit(last, (p) => p.handles);
  return {
    minutes: series.at(-1)?.minute ?? 0,
    series,
    rssSlopeFirstThird: rssFirst,
    rssSlopeLastThird: rssLast,
    handlesSlopeFirstThird: fit(first, (p) => p.handles),
    handlesSlopeLastThird: handlesLast,
    heapTroughMBFirstThird: Math.min(...first.map((p) => p.heapMB)),
    heapTroughMBLastThird: Math.min(...last.map((p) => p.heapMB)),
    rssFlattens: rssLast <= 0.2 || rssLast <= rssFirst / 3,
    handlesFlat: handlesLast < 0.5,
  };
}

const fmt = (v: number | undefined, digits = 2): string => (v === undefined ? '-' : v.toFixed(digits));

export function table(reports: RunReport[]): string {
  const head = [
    'run', 'probes/s', 'CPU %', 'CPU %(proc)', 'lag p50 s', 'lag p99 s', 'ELD p99 s', 'RSS MB', 'rows/s', 'MQTT msg/s',
    'outages seen', 'missed', 'picture seen', 'false', 'detect p50/p95 s', 'load avg',
  ];
  const rows = reports.map((x) => {
    const a = x.accuracy;
    const delay = a?.outages.detectionDelayMs;
    return [
      x.label, fmt(x.probes.rowsPerS, 1), fmt(x.cpu.nodeRedPercent, 1), fmt(x.cpu.nodeRedPercentProc, 1),
      fmt(x.schedule.lagP50S, 3), fmt(x.schedule.lagP99S, 3), fmt(x.eventLoop.p99S, 3), fmt(x.memory.rssMBMax, 0),
      fmt(x.store.rowsPerS, 1), fmt(x.mqtt.messagesPerS, 1),
      // Seen: detected (or merged into an outage still open) out of the faults that began in the window.
      a ? `${a.outages.detected + a.outages.merged}/${a.outages.faults}` : '-', a ? String(a.outages.missed) : '-',
      a ? `${a.picture.detected + a.picture.merged}/${a.picture.faults}` : '-', a ? String(a.falseAlarms) : '-',
      delay ? `${fmt(delay.p50 / 1000, 1)}/${fmt(delay.p95 / 1000, 1)}` : '-',
      x.machine.loadavgEnd.map((l) => l.toFixed(2)).join(' '),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The per-run details under the table: accuracy by kind, other processes, goals. */
export function details(x: RunReport): string {
  const out = [`${x.label}: ${x.seconds} s measured, timeout ${x.timeoutS} s, maxConcurrent ${x.maxConcurrent}, Node-RED up and scheduled in ${x.startupS} s`];
  out.push(`  probes: target ${x.probes.targetPerS}/s, stored ${x.probes.rowsPerS}/s; codes ${JSON.stringify(x.probes.codes)}; ok latency p50/p95/p99 ${x.probes.okLatencyMs.p50}/${x.probes.okLatencyMs.p95}/${x.probes.okLatencyMs.p99} ms`);
  out.push(`  schedule: lag mean ${fmt(x.schedule.lagMeanS, 4)} s, max ${fmt(x.schedule.lagMaxS, 3)} s; in flight ≤ ${x.schedule.inFlightMax ?? '-'}, queued ≤ ${x.schedule.queuedMax ?? '-'}; event-loop max ${fmt(x.eventLoop.maxS, 3)} s`);
  out.push(`  CPU % of one core: Node-RED ${fmt(x.cpu.nodeRedPercent, 1)} (/proc ${fmt(x.cpu.nodeRedPercentProc, 1)}; without the bench's scrapes ${fmt(x.cpu.nodeRedPercentWithoutScrapes, 1)}), fleet ${fmt(x.cpu.fleetPercent, 1)}, Mosquitto ${fmt(x.cpu.brokerPercent, 1)}, bench ${fmt(x.cpu.benchPercent, 1)}; whole machine ${fmt(x.machine.busyPercentOfOneCore, 0)} (load ${x.machine.loadavgStart.join(' ')} → ${x.machine.loadavgEnd.join(' ')})`);
  const base = x.memory.baseline;
  if (base) out.push(`  baseline (no camera): RSS ${base.rssMB} MB (Node-RED alone: ${base.nodeRedAloneRssMB ?? '-'} MB), heap ${base.heapMB} MB, CPU ${fmt(base.cpuPercent, 1)} %; per camera: ${x.memory.rssKBPerCamera ?? '-'} KB RSS`);
  out.push(`  memory: RSS ${fmt(x.memory.rssMBStart, 0)} → ${fmt(x.memory.rssMBEnd, 0)} MB (max ${fmt(x.memory.rssMBMax, 0)}), heap ${fmt(x.memory.heapMBEnd, 0)} of ${fmt(x.memory.heapTotalMBEnd, 0)} MB reserved, external ${fmt(x.memory.externalMBEnd, 0)} MB; handles ${x.handles.start ?? '-'} → ${x.handles.end ?? '-'} (max ${x.handles.max ?? '-'}), fds ${x.handles.fdsEnd ?? '-'}`);
  out.push(`  store ${x.store.rowsPerS} rows/s (writer ${fmt(x.store.writtenPerS, 1)}/s, queue ≤ ${x.store.queueMax ?? '-'}); MQTT ${x.mqtt.messagesPerS} msg/s (state ${x.mqtt.statePerS}, discovery ${x.mqtt.discoveryPerS}); state messages by first changed field ${JSON.stringify(x.mqtt.stateBecause)}`);
  out.push(`  /metrics: ${fmt((x.scrape.bytes ?? 0) / 1024, 0)} KiB, ${x.scrape.msP50 ?? '-'} ms, ${x.scrape.cpuMsPerScrape ?? '-'} ms CPU per scrape`);
  for (const [name, acc] of [['accuracy', x.accuracy], ['soak accuracy', x.soakAccuracy]] as const) {
    if (!acc) continue;
    out.push(`  ${name}: outages ${acc.outages.detected}+${acc.outages.merged} merged of ${acc.outages.faults} (missed ${acc.outages.missed}, undetectable ${acc.outages.undetectable}); picture faults ${acc.picture.detected} of ${acc.picture.faults} (missed ${acc.picture.missed}); false alarms ${acc.falseAlarms}; goal ${acc.goalMs / 1000} s`);
    for (const [kind, k] of Object.entries(acc.delaysByKind)) {
      if (!k.detected && !(acc.outages.byKind[kind as keyof typeof acc.outages.byKind]?.faults || acc.picture.byKind[kind as keyof typeof acc.picture.byKind]?.faults)) continue;
      const byKind = acc.outages.byKind[kind as keyof typeof acc.outages.byKind];
      const pic = acc.picture.byKind[kind as keyof typeof acc.picture.byKind];
      const faults = (byKind?.faults ?? 0) + (pic?.faults ?? 0);
      const s = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
      const undetectable = (byKind?.undetectable ?? 0) + (pic?.undetectable ?? 0);
      out.push(`    ${kind.padEnd(8)} ${k.detected}/${faults} seen (${undetectable} too short); first evidence p50/p95 ${s(k.firstEvidenceMs?.p50)}/${s(k.firstEvidenceMs?.p95)} s; declared p50/p95/max ${s(k.declaredMs?.p50)}/${s(k.declaredMs?.p95)}/${s(k.declaredMs?.max)} s; over goal ${k.overGoal}`);
    }
  }
  for (const [name, g] of Object.entries(x.goals)) out.push(`  goal ${name}: ${g.goal}: ${fmt(g.value, 3)} → ${g.met === undefined ? 'n/a' : g.met ? 'met' : 'NOT met'}`);
  if (x.soak) {
    const s = x.soak;
    out.push(`  soak ${s.minutes} min: RSS slope ${s.rssSlopeFirstThird} → ${s.rssSlopeLastThird} MB/min (${s.rssFlattens ? 'flattens' : 'does NOT flatten'}); handles slope ${s.handlesSlopeFirstThird} → ${s.handlesSlopeLastThird}/min (${s.handlesFlat ? 'flat' : 'GROWING'}); heap troughs ${s.heapTroughMBFirstThird} → ${s.heapTroughMBLastThird} MB`);
    out.push(`  min   RSS MB  heap MB  reserved  handles  fds`);
    for (const p of s.series) out.push(`  ${p.minute.toFixed(1).padStart(5)} ${String(p.rssMB).padStart(7)} ${String(p.heapMB).padStart(8)} ${String(p.heapTotalMB).padStart(9)} ${String(p.handles).padStart(8)} ${String(p.fds).padStart(4)}`);
  }
  return out.join('\n');
}
