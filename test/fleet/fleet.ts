/**
 * A camera-fleet simulator: one process serving thousands of RTSP and MJPEG cameras on loopback,
 * cheap enough to run 10,000 of them beside the monitor. Cameras are paths on a few listening
 * sockets (`rtsp://127.0.0.1:PORT/cam/00042`, `http://127.0.0.1:PORT/mjpeg/0042`); all share one
 * H.264 clip encoded once (./h264-feed.ts) and one JPEG. Faults follow a schedule (./fault-plan.ts)
 * whose book is also the truth a benchmark scores the monitor's verdicts against (./score.ts).
 *
 *   const fleet = await startFleet({ rtsp: 1000, mjpeg: 10, schedule: { durationMs, outagesPerCameraHour: 2, seed: 1 } });
 *   fleet.cameras  // [{ id: 'cam-0001', url: 'rtsp://127.0.0.1:41234/cam/0001', kind: 'rtsp', … }, …]
 *   fleet.truth    // FaultBook: faultAt(id, t), of(id), intervals(), toJSON()
 *   await fleet.stop()
 */
import { newStats } from './context.js';
import type { CameraSlot, FleetContext } from './context.js';
import { FaultBook, faultPlan } from './fault-plan.js';
import { H264Feed } from './h264-feed.js';
import { JpegFrames, listenMjpeg } from './mjpeg-server.js';
import { listenRtsp } from './rtsp-server.js';
import { FrameTicker } from './ticker.js';
import type { CameraKind, FaultInterval, FleetCamera, FleetOptions, FleetStats } from './types.js';

export type { FaultInterval, FaultKind, FleetCamera, FleetOptions, FleetStats, TruthLog } from './types.js';
export { FAULT_KINDS } from './types.js';
export { FaultBook, faultPlan } from './fault-plan.js';

export interface Fleet {
  cameras: FleetCamera[];
  /** The fault schedule the cameras follow: exact intervals per camera. */
  truth: FaultBook;
  /** Adds a fault while the fleet runs (it enters the truth too). */
  inject(fault: FaultInterval): void;
  stats(): FleetStats;
  /** Closes every listener, connection and timer. */
  stop(): Promise<void>;
}

/** The ids startFleet gives its cameras, e.g. to plan faults before starting it. */
export function fleetCameraIds(rtsp: number, mjpeg = 0): string[] {
  const width = digits(rtsp, mjpeg);
  return [...range(rtsp).map((n) => `cam-${pad(n, width)}`), ...range(mjpeg).map((n) => `mjpeg-${pad(n, width)}`)];
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const rtspCount = checkCount(options.rtsp, 'rtsp');
  const mjpegCount = checkCount(options.mjpeg ?? 0, 'mjpeg');
  const host = options.host ?? '127.0.0.1';
  const fps = options.fps ?? 10;
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const rtspPorts = rtspCount === 0 ? 0 : Math.max(1, options.ports ?? Math.min(8, Math.ceil(rtspCount / 2500)));
  const mjpegPorts = mjpegCount === 0 ? 0 : Math.max(1, options.mjpegPorts ?? 1);
  const portBase = options.portBase ?? 0;
  const feed = await H264Feed.load({ width, height, fps, gopFrames: options.gopFrames ?? 10, clipSeconds: options.clipSeconds ?? 6 });
  const frames = mjpegCount > 0 ? JpegFrames.fromFfmpeg(width, height) : undefined;

  const ids = fleetCameraIds(rtspCount, mjpegCount);
  const epoch = Date.now();
  const schedule = options.schedule;
  const intervals = schedule === undefined ? [] : isIntervalList(schedule) ? schedule : faultPlan({ ...schedule, cameras: ids });
  const book = new FaultBook(epoch, intervals);
  const ticker = new FrameTicker(Math.max(1, Math.round(1000 / fps)));
  const stats = newStats();

  // Which port each camera lives on, filled in as the listeners come up.
  const portOf: Record<CameraKind, number[]> = { rtsp: [], mjpeg: [] };
  const slots: Record<CameraKind, CameraSlot[]> = {
    rtsp: ids.slice(0, rtspCount).map((id, i) => ({ id, phase: (i * 7) % feed.frameCount })),
    mjpeg: ids.slice(rtspCount).map((id, i) => ({ id, phase: i % feed.frameCount })),
  };
  const ctx: FleetContext = {
    feed,
    book,
    ticker,
    stats,
    epoch,
    fps,
    slowDelayMs: options.slowDelayMs ?? 60_000,
    sessionTimeoutSec: options.sessionTimeoutSec ?? 60,
    camera: (kind, num, port) => (portOf[kind][num - 1] === port ? slots[kind][num - 1] : undefined),
  };

  const closers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    ticker.clear();
    await Promise.all(closers.splice(0).map((close) => close()));
    ticker.clear();
  };
  const listenPorts: Record<CameraKind, number[]> = { rtsp: [], mjpeg: [] };
  try {
    for (let k = 0; k < rtspPorts; k++) {
      const listener = await listenRtsp(ctx, host, portBase > 0 ? portBase + k : 0);
      closers.push(listener.close);
      listenPorts.rtsp.push(listener.port);
    }
    for (let k = 0; k < mjpegPorts && frames; k++) {
      const listener = await listenMjpeg(ctx, frames, host, portBase > 0 ? portBase + rtspPorts + k : 0);
      closers.push(listener.close);
      listenPorts.mjpeg.push(listener.port);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const cameras: FleetCamera[] = [];
  const width0 = digits(rtspCount, mjpegCount);
  for (const kind of ['rtsp', 'mjpeg'] as const) {
    slots[kind].forEach((slot, i) => {
      const port = listenPorts[kind][i % listenPorts[kind].length] as number;
      portOf[kind][i] = port;
      const num = pad(i + 1, width0);
      const url = kind === 'rtsp' ? `rtsp://${host}:${port}/cam/${num}` : `http://${host}:${port}/mjpeg/${num}`;
      cameras.push({ id: slot.id, name: `Fleet ${kind === 'rtsp' ? 'cam' : 'MJPEG'} ${num}`, url, kind, port });
    });
  }

  return {
    cameras,
    truth: book,
    inject: (fault) => book.add(fault),
    stats: () => ({ ...stats, faultsServed: { ...stats.faultsServed } }),
    stop,
  };
}

function isIntervalList(schedule: NonNullable<FleetOptions['schedule']>): schedule is readonly FaultInterval[] {
  return Array.isArray(schedule);
}

function checkCount(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 999_999) throw new RangeError(`startFleet: ${what} must be an integer 0..999999, got ${n}`);
  return n;
}

function digits(...counts: number[]): number {
  return Math.max(4, ...counts.map((c) => String(c).length));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** 1..n */
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
