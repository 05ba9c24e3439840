/**
 * A small fleet (50 RTSP + 6 MJPEG cameras) seen through the real prober at keyframe level:
 * healthy cameras are `ok` with the right codec and size, every fault kind gives its honest code,
 * faults start and end when the truth says, a real client (ffprobe) accepts a simulated camera,
 * the streams file is valid, and stop() leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { parseStreamsConfig } from '../../nodes/lib/config/index.js';
import type { ProbeResult } from '../../nodes/lib/heartbeat.js';
import { probe } from '../../nodes/lib/probe/index.js';
import type { ProbeOptions, ProbeTarget } from '../../nodes/lib/probe/index.js';
import { faultPlan, fleetCameraIds, startFleet } from './fleet.js';
import type { FaultInterval, FaultKind, Fleet, FleetCamera } from './fleet.js';
import { streamsYaml } from './streams-file.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const FAULTY: Record<string, FaultKind> = {
  'cam-0002': 'down',
  'cam-0003': 'slow',
  'cam-0004': 'auth',
  'cam-0005': 'frozen',
  'cam-0006': 'noframes',
  'mjpeg-0002': 'down',
  'mjpeg-0003': 'slow',
  'mjpeg-0004': 'auth',
  'mjpeg-0005': 'frozen',
  'mjpeg-0006': 'noframes',
};
const WATCHED = ['TCPServerWrap', 'TCPSocketWrap', 'TCPWrap', 'Timeout'];

function handleCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

describe('camera-fleet simulator', () => {
  let fleet: Fleet;
  let baseline: Map<string, number>;
  const cam = (id: string): FleetCamera => {
    const found = fleet.cameras.find((c) => c.id === id);
    assert.ok(found, id);
    return found;
  };
  const look = (id: string, options: ProbeOptions = {}, target: Partial<ProbeTarget> = {}): Promise<ProbeResult> =>
    probe({ url: cam(id).url, id, verify: 'keyframe', ...target }, { timeoutMs: 5000, ...options });

  before(async () => {
    baseline = handleCounts();
    const now = Date.now();
    const schedule: FaultInterval[] = Object.entries(FAULTY).map(([camera, kind]) => ({ camera, kind, start: now, end: now + 30 * 60_000 }));
    // A one-second clip: every GOP is a new loop, so healthy keyframes differ only by their variant.
    fleet = await startFleet({ rtsp: 50, mjpeg: 6, ports: 2, fps: 10, gopFrames: 10, clipSeconds: 1, schedule });
  });
  after(async () => {
    await fleet?.stop();
  });

  it('lists its cameras as paths on a few ports', () => {
    assert.equal(fleet.cameras.length, 56);
    assert.equal(new Set(fleet.cameras.filter((c) => c.kind === 'rtsp').map((c) => c.port)).size, 2);
    assert.match(cam('cam-0042').url, /^rtsp:\/\/127\.0\.0\.1:\d+\/cam\/0042$/);
    assert.match(cam('mjpeg-0003').url, /^http:\/\/127\.0\.0\.1:\d+\/mjpeg\/0003$/);
    assert.equal(fleet.truth.size, Object.keys(FAULTY).length);
    assert.deepEqual(
      fleet.cameras.map((c) => c.id),
      fleetCameraIds(50, 6),
    );
  });

  it('healthy cameras give ok with codec and size, and a new keyframe a GOP later (not frozen)', async () => {
    const healthy = fleet.cameras.filter((c) => !(c.id in FAULTY)).map((c) => c.id);
    const first = await pool(healthy, 8, (id) => look(id));
    for (const r of first) {
      assert.equal(r.code, 'ok', `${r.stream.id}: ${r.message}`);
      const rtsp = r.stream.id.startsWith('cam-');
      assert.deepEqual(r.media && { codec: r.media.codec, width: r.media.width, height: r.media.height }, { codec: rtsp ? 'H264' : 'MJPEG', width: 320, height: 240 });
      assert.equal(r.stream.protocol, rtsp ? 'rtsp' : 'mjpeg');
      assert.ok(r.evidence?.frameDigest);
    }
    await sleep(1100);
    const again = await pool(first.slice(0, 6).concat(first.filter((r) => r.stream.id === 'mjpeg-0001')), 4, (r) => look(r.stream.id, { ...(r.evidence ? { previous: r.evidence } : {}) }));
    for (const r of again) assert.equal(r.code, 'ok', `${r.stream.id} on its 2nd probe: ${r.message}`);
  });

  it('each fault kind gives its honest code', async () => {
    const expected: Record<FaultKind, string> = { down: 'refused', slow: 'timeout', auth: 'auth_failed', frozen: 'ok', noframes: 'no_frame' };
    const results = await pool(Object.entries(FAULTY), 10, async ([id, kind]) => ({ id, kind, r: await look(id, { timeoutMs: 1500 }) }));
    for (const { id, kind, r } of results) assert.equal(r.code, expected[kind], `${id} (${kind}): ${r.message}`);
    // Credentials change nothing for an `auth` fault: the camera rejects them.
    const withCreds = await look('cam-0004', {}, { username: 'admin', password: 'pa55word' });
    assert.equal(withCreds.code, 'auth_failed', withCreds.message);
    assert.ok(!withCreds.message.includes('pa55word'));
    // Frozen shows on the second probe, which compares with the first one's evidence.
    for (const id of ['cam-0005', 'mjpeg-0005']) {
      const first = results.find((x) => x.id === id)?.r;
      assert.ok(first?.evidence);
      await sleep(1100);
      const second = await look(id, { previous: first.evidence });
      assert.equal(second.code, 'frozen', `${id}: ${second.message}`);
    }
    const served = fleet.stats().faultsServed;
    for (const kind of ['down', 'slow', 'auth', 'frozen', 'noframes'] as const) assert.ok(served[kind] >= 2, `${kind} served ${served[kind]} times`);
  });

  it('honours the truth: a fault begins and ends at its interval bounds', async () => {
    const start = Date.now() + 1000;
    const rtsp: FaultInterval = { camera: 'cam-0010', kind: 'down', start, end: start + 1500 };
    const mjpeg: FaultInterval = { camera: 'mjpeg-0001', kind: 'auth', start, end: start + 1500 };
    fleet.inject(rtsp);
    fleet.inject(mjpeg);
    assert.throws(() => fleet.inject({ ...rtsp, kind: 'slow', start: start + 100 }), /overlaps/);
    assert.deepEqual(fleet.truth.of('cam-0010'), [rtsp]);
    const codes = async (): Promise<string[]> => [(await look('cam-0010')).code, (await look('mjpeg-0001')).code];
    assert.deepEqual(await codes(), ['ok', 'ok'], 'before the fault');
    await sleep(start + 200 - Date.now());
    assert.equal(fleet.truth.faultAt('cam-0010', Date.now())?.kind, 'down');
    assert.deepEqual(await codes(), ['refused', 'auth_failed'], 'during the fault');
    await sleep(rtsp.end + 100 - Date.now());
    assert.equal(fleet.truth.faultAt('cam-0010', Date.now()), undefined);
    assert.deepEqual(await codes(), ['ok', 'ok'], 'after the fault');
  });

  it('a real client accepts a simulated camera: ffprobe over RTSP/TCP decodes its frames', async () => {
    const args = ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-count_frames', '-read_intervals', '%+2'];
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        'ffprobe',
        [...args, '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', cam('cam-0011').url],
        { timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr })),
      );
    });
    assert.equal(out.stderr, '', 'ffprobe reports no error');
    const stream = (JSON.parse(out.stdout) as { streams: Record<string, unknown>[] }).streams[0];
    assert.equal(stream?.codec_name, 'h264');
    assert.equal(stream?.width, 320);
    assert.equal(stream?.height, 240);
    // Two seconds at 10 fps span two loops of the clip, so variant keyframes were decoded too.
    assert.ok(Number(stream?.nb_read_frames) >= 10, `decoded ${String(stream?.nb_read_frames)} frames`);
  });

  it('writes a streams file StreamPulse accepts', () => {
    const parsed = parseStreamsConfig(streamsYaml(fleet.cameras, { heartbeatSeconds: 15, timeoutSeconds: 5 }), 'fleet.yaml', {});
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('\n'));
    const { streams } = parsed.config;
    assert.deepEqual(
      streams.map((s) => s.id),
      fleet.cameras.map((c) => c.id),
    );
    assert.deepEqual(
      streams.map((s) => s.url),
      fleet.cameras.map((c) => c.url),
    );
    const mjpeg = streams.find((s) => s.id === 'mjpeg-0001');
    assert.equal(mjpeg?.kind, 'mjpeg');
    assert.equal(mjpeg?.intervalMs, 15_000);
    assert.equal(mjpeg?.timeoutMs, 5_000);
    assert.deepEqual(mjpeg?.tags, ['fleet', 'mjpeg']);
  });

  it('stop() closes every listener, connection and timer', async () => {
    const url = cam('cam-0001').url;
    const playing = probe({ url, verify: 'keyframe' }, { timeoutMs: 3000 });
    await fleet.stop();
    await playing;
    await sleep(100);
    const now = handleCounts();
    for (const kind of WATCHED) {
      assert.ok((now.get(kind) ?? 0) <= (baseline.get(kind) ?? 0), `${kind}: ${baseline.get(kind) ?? 0} before the fleet, ${now.get(kind) ?? 0} after stop()`);
    }
    assert.equal((await probe({ url }, { timeoutMs: 2000 })).code, 'refused');
    assert.equal(fleet.stats().openConnections, 0);
    assert.equal(fleet.stats().streaming, 0);
  });
});

describe('camera-fleet simulator: planned schedule and CLI', () => {
  it('draws its schedule from a plan spec with its own camera ids', async () => {
    const spec = { durationMs: 3_600_000, outagesPerCameraHour: 6, seed: 42, startMs: Date.now() + 60_000 };
    const fleet = await startFleet({ rtsp: 5, mjpeg: 1, schedule: spec });
    try {
      const expected = faultPlan({ ...spec, cameras: fleetCameraIds(5, 1) });
      assert.ok(expected.length > 5);
      assert.deepEqual(fleet.truth.intervals(), expected);
    } finally {
      await fleet.stop();
    }
  });

  it('fleet-cli writes a valid streams file and the truth, serves, and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [join(__dirname, 'fleet-cli.js'), '--rtsp', '3', '--mjpeg', '1', '--outages-per-hour', '20', '--seed', '3', '--faults-after-s', '600'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const files = await new Promise<{ streams: string; truth: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fleet-cli not ready within 60 s: ${stderr}`)), 60_000);
        const found = { streams: '', truth: '' };
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('streams file: ')) found.streams = line.slice(14);
          if (line.startsWith('truth file: ')) found.truth = line.slice(12);
          if (line === 'ready') {
            clearTimeout(timer);
            resolve(found);
          }
        });
      });
      const parsed = parseStreamsConfig(await readFile(files.streams, 'utf8'), files.streams, {});
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('\n'));
      assert.equal(parsed.config.streams.length, 4);
      const truth = JSON.parse(await readFile(files.truth, 'utf8')) as { startedAt: number; intervals: FaultInterval[] };
      assert.ok(truth.intervals.length > 0, 'faults were planned');
      // --faults-after-s 600: the plan starts ten minutes out, so every camera is healthy now.
      assert.ok(truth.intervals.every((f) => f.start >= truth.startedAt + 590_000 && f.end > f.start));
      const results = await Promise.all(parsed.config.streams.map((s) => probe({ url: s.url, kind: s.kind, verify: 'keyframe' }, { timeoutMs: 5000 })));
      assert.deepEqual(
        results.map((r) => r.code),
        ['ok', 'ok', 'ok', 'ok'],
      );
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGINT: stopping/);
  });
});
