import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyFailure, decodeWithFfprobe, ffprobeArgs, resolveFfprobe } from '../../../nodes/lib/probe/ffprobe.js';
import { parseFfprobeOutput } from '../../../nodes/lib/probe/ffprobe-output.js';
import { ProbeError } from '../../../nodes/lib/util/errors.js';
import { GST_PASSWORD, GST_USER, startGstRtspServer } from '../../fixtures/gst-rtsp.js';
import { makeContext } from '../../fixtures/probe-context.js';
import type { TestContext } from '../../fixtures/probe-context.js';
import { freePort } from '../../fixtures/ports.js';

/** A real ProbeContext (real Deadline and AbortController) for one decode. */
const decodeCtx = (url: string, timeoutMs = 15_000): TestContext => makeContext(url, { verify: 'decode', timeoutMs });

/** Child-process handles alive now; the handle of a child that just exited closes a loop turn or two later. */
async function processHandles(): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  return process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap').length;
}

async function rejectsWith(work: Promise<unknown>, code: string): Promise<ProbeError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof ProbeError, `expected a ProbeError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the decode succeeded`);
}

describe('resolveFfprobe', () => {
  it('returns an explicit path unchanged', () => {
    assert.equal(resolveFfprobe('/opt/custom/ffprobe'), '/opt/custom/ffprobe');
  });
  it('finds an executable ffprobe (PATH, else ffprobe-static) and caches it', () => {
    const found = resolveFfprobe();
    assert.ok(found, 'no ffprobe found');
    accessSync(found, fsConstants.X_OK);
    assert.equal(resolveFfprobe(), found);
  });
  it('falls back to ffprobe-static when PATH has none (fresh process: the answer is cached)', () => {
    const modulePath = require.resolve('../../../nodes/lib/probe/ffprobe.js');
    const printed = execFileSync(
      process.execPath,
      ['-e', `process.stdout.write(String(require(${JSON.stringify(modulePath)}).resolveFfprobe()))`],
      { env: { PATH: '/nonexistent' }, encoding: 'utf8', timeout: 10_000 },
    );
    const staticPath = (createRequire(__filename)('ffprobe-static') as { path: string }).path;
    // ffprobe-static ships no binary for some platforms (arm64 Linux): then there is no ffprobe.
    assert.equal(printed, existsSync(staticPath) ? staticPath : 'undefined');
  });
});

describe('ffprobeArgs', () => {
  it('uses -timeout (µs) for RTSP on FFmpeg 5+ and TCP interleaving by default', () => {
    const args = ffprobeArgs('rtsp://h/x', 10_000, 5, {});
    assert.equal(args[args.indexOf('-timeout') + 1], '11000000');
    assert.equal(args[args.indexOf('-rtsp_transport') + 1], 'tcp');
    assert.ok(!args.includes('-stimeout'));
    assert.equal(args.at(-1), 'rtsp://h/x');
  });
  it('uses -stimeout on FFmpeg 4, where -timeout would make ffprobe listen', () => {
    const args = ffprobeArgs('rtsp://h/x', 10_000, 4, { rtspTransport: 'udp' });
    assert.ok(args.includes('-stimeout'));
    assert.ok(!args.includes('-timeout'));
    assert.equal(args[args.indexOf('-rtsp_transport') + 1], 'udp');
  });
  it('uses -rw_timeout for HTTP and shrinks the window on a short deadline', () => {
    const args = ffprobeArgs('http://h/x', 2_000, 5, {});
    assert.ok(args.includes('-rw_timeout'));
    assert.ok(!args.includes('-rtsp_transport'));
    assert.equal(args[args.indexOf('-read_intervals') + 1], '%+0.5');
  });
});

describe('parseFfprobeOutput', () => {
  it('rejects what is not ffprobe JSON with a reason', () => {
    assert.deepEqual(parseFfprobeOutput('oops'), { kind: 'unparsable', reason: 'not JSON (4 bytes)' });
    assert.equal(parseFfprobeOutput('[]').kind, 'unparsable');
    assert.equal(parseFfprobeOutput('{"packets":[]}').kind, 'unparsable');
    assert.equal(parseFfprobeOutput('{"streams":[1]}').kind, 'unparsable');
  });
  it('reports no_video with the streams it did find', () => {
    const out = parseFfprobeOutput('{"streams":[{"index":0,"codec_type":"audio","codec_name":"pcm_mulaw"}]}');
    assert.deepEqual(out, { kind: 'no_video', streams: 'audio (pcm_mulaw)' });
  });
  it('measures fps and bitrate from packet timestamps and sizes, not from the header', () => {
    const packets = [0, 0.2, 0.4, 0.6, 0.8].map((t) => ({ type: 'packet', stream_index: 0, pts_time: String(t), size: '5000' }));
    const frames = packets.map(() => ({ type: 'frame', stream_index: 0, width: 640, height: 480 }));
    const audio = { type: 'packet', stream_index: 1, pts_time: '0.1', size: '160' };
    const json = JSON.stringify({
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'h264', width: 640, height: 480, avg_frame_rate: '25/1' },
        { index: 1, codec_type: 'audio', codec_name: 'aac' },
      ],
      packets_and_frames: [...packets, ...frames, audio],
    });
    const out = parseFfprobeOutput(json);
    assert.equal(out.kind, 'ok');
    if (out.kind !== 'ok') return;
    // 5 packets of 5000 B, one every 0.2 s: 5 fps, 5 * 5000 * 8 bits / 1 s = 200 kbit/s.
    assert.deepEqual(out.report, {
      codec: 'h264', width: 640, height: 480, fps: 5, bitrateKbps: 200, audio: 'aac', framesDecoded: 5, mediaBytes: 25_160,
    });
  });
});

describe('classifyFailure', () => {
  const cases: [string, string][] = [
    ['[rtsp @ 0x55d1] method DESCRIBE failed: 401 Unauthorized\nrtsp://a:***@h/x: Server returned 401 Unauthorized (authorization failed)', 'auth_failed'],
    ['http://h/x: Server returned 403 Forbidden (access denied)', 'auth_failed'],
    ['[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found', 'not_found'],
    ['[rtsp @ 0x1] method SETUP failed: 454 Session Not Found', 'not_found'],
    ['[tcp @ 0x1] Connection to tcp://h:1 failed: Connection refused', 'refused'],
    ['[tcp @ 0x1] Connection to tcp://h:1 failed: Connection timed out', 'timeout'],
    ['[tcp @ 0x1] Failed to resolve hostname nope.invalid: Name or service not known', 'dns'],
    ['[http @ 0x1] HTTP error 503 Service Unavailable', 'server_error'],
    ['rtsp://h/x: Invalid data found when processing input', 'protocol_error'],
  ];
  for (const [stderr, code] of cases) {
    it(`${code}: ${stderr.slice(0, 60)}`, () => {
      const err = classifyFailure(stderr, 1);
      assert.equal(err.code, code);
      assert.doesNotMatch(err.message, /0x[0-9a-f]+\]/, 'the [demuxer @ address] prefix is noise');
    });
  }
});

describe('decodeWithFfprobe against GStreamer RTSP server', () => {
  let gst: Awaited<ReturnType<typeof startGstRtspServer>>;
  before(async () => {
    gst = await startGstRtspServer();
  });
  after(async () => {
    await gst?.stop();
  });

  it('decodes H.264 640x480 at 10 fps and reports a bitrate', async () => {
    const ctx = decodeCtx(gst.url('/h264'));
    const report = await decodeWithFfprobe(ctx, gst.url('/h264'));
    assert.equal(report.codec, 'h264');
    assert.equal(report.width, 640);
    assert.equal(report.height, 480);
    assert.ok(report.fps !== undefined && Math.abs(report.fps - 10) < 0.5, `fps ${String(report.fps)}`);
    assert.ok((report.bitrateKbps ?? 0) > 0, 'bitrate');
    assert.ok(report.framesDecoded >= 5, `frames ${report.framesDecoded}`);
    assert.ok(report.mediaBytes > 1000);
    assert.equal(report.audio, undefined);
    assert.ok(ctx.timings.firstFrameMs !== undefined && ctx.timings.firstFrameMs > 0);
  });

  it('decodes H.265 320x240 (codec "hevc")', async () => {
    const ctx = decodeCtx(gst.url('/h265'));
    const report = await decodeWithFfprobe(ctx, gst.url('/h265'));
    assert.equal(report.codec, 'hevc');
    assert.equal(report.width, 320);
    assert.equal(report.height, 240);
    assert.ok(report.fps !== undefined && Math.abs(report.fps - 10) < 0.5, `fps ${String(report.fps)}`);
  });

  it('reports the audio codec beside the video', async () => {
    const ctx = decodeCtx(gst.url('/h264-audio'));
    const report = await decodeWithFfprobe(ctx, gst.url('/h264-audio'));
    assert.equal(report.codec, 'h264');
    assert.equal(report.audio, 'pcm_mulaw');
    assert.ok(report.fps !== undefined && Math.abs(report.fps - 10) < 0.5, `fps ${String(report.fps)}`);
  });

  for (const mount of ['/basic', '/digest']) {
    it(`${mount}: decodes with the right password`, async () => {
      const url = gst.url(mount, { user: GST_USER, pass: GST_PASSWORD });
      const ctx = decodeCtx(url);
      const report = await decodeWithFfprobe(ctx, url);
      assert.equal(report.codec, 'h264');
    });

    it(`${mount}: auth_failed with a wrong password, which never appears in the error`, async () => {
      const wrong = 'wr0ngPa55';
      const url = gst.url(mount, { user: GST_USER, pass: wrong });
      const ctx = decodeCtx(url);
      const err = await rejectsWith(decodeWithFfprobe(ctx, url), 'auth_failed');
      assert.ok(!err.message.includes(wrong), err.message);
      assert.ok(!String(err.stack).includes(wrong));
    });
  }

  it('not_found for a mount that does not exist', async () => {
    const ctx = decodeCtx(gst.url('/nope'));
    await rejectsWith(decodeWithFfprobe(ctx, gst.url('/nope')), 'not_found');
  });

  it('no_video for the audio-only mount', async () => {
    const ctx = decodeCtx(gst.url('/audio'));
    const err = await rejectsWith(decodeWithFfprobe(ctx, gst.url('/audio')), 'no_video');
    assert.match(err.message, /pcm_mulaw/);
  });

  it('abort kills ffprobe within a second and leaves no child process', async () => {
    const before = await processHandles();
    const ctx = decodeCtx(gst.url('/h264'));
    const work = decodeWithFfprobe(ctx, gst.url('/h264'));
    await sleep(300);
    assert.equal(await processHandles(), before + 1, 'ffprobe should be running');
    const abortedAt = performance.now();
    ctx.controller.abort(new Error('caller gave up'));
    await assert.rejects(work, /caller gave up/);
    const took = performance.now() - abortedAt;
    assert.ok(took < 1000, `abort took ${took.toFixed(0)} ms`);
    assert.equal(await processHandles(), before, 'ffprobe child left behind');
  });
});

describe('decodeWithFfprobe network faults', () => {
  it('refused on a closed port', async () => {
    const port = await freePort();
    const url = `rtsp://admin:${GST_PASSWORD}@127.0.0.1:${port}/x`;
    const ctx = decodeCtx(url);
    const err = await rejectsWith(decodeWithFfprobe(ctx, url), 'refused');
    assert.ok(!err.message.includes(GST_PASSWORD), err.message);
    // ffprobe quotes the URL with its password: the message must show it masked, not dropped.
    assert.match(err.message, /rtsp:\/\/admin:\*\*\*@127\.0\.0\.1/);
  });

  it('timeout, on the deadline, when the server accepts and never answers', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((s) => sockets.add(s));
    await listen(server);
    try {
      const before = await processHandles();
      const port = (server.address() as { port: number }).port;
      const ctx = decodeCtx(`rtsp://127.0.0.1:${port}/x`, 1_500);
      const started = performance.now();
      await rejectsWith(decodeWithFfprobe(ctx, `rtsp://127.0.0.1:${port}/x`), 'timeout');
      const took = performance.now() - started;
      assert.ok(took >= 1_400 && took < 2_500, `took ${took.toFixed(0)} ms`);
      assert.equal(await processHandles(), before);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('protocol_error when the ffprobe binary does not exist', async () => {
    const ctx = decodeCtx('rtsp://127.0.0.1:1/x');
    ctx.ffprobePath = '/nonexistent/ffprobe';
    await rejectsWith(decodeWithFfprobe(ctx, 'rtsp://127.0.0.1:1/x'), 'protocol_error');
  });
});

describe('decodeWithFfprobe against ffmpeg-served HTTP streams', () => {
  const children: ChildProcess[] = [];
  let dir = '';
  after(async () => {
    for (const child of children) await stopChild(child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes MJPEG over HTTP (ffmpeg -f mpjpeg -listen 1)', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/cam.mjpg`;
    children.push(
      spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
        '-c:v', 'mjpeg', '-q:v', '8', '-f', 'mpjpeg', '-listen', '1', url], { stdio: 'ignore' }),
    );
    // ffmpeg serves a single client, so readiness is not polled with a connection of our own:
    // the decode is retried while the listener is not up yet (bounded).
    const report = await retryWhileRefused(async () => decodeWithFfprobe(decodeCtx(url, 8_000), url));
    assert.equal(report.codec, 'mjpeg');
    assert.equal(report.width, 320);
    assert.equal(report.height, 240);
    assert.ok(report.framesDecoded > 0);
  });

  it('decodes a live HLS playlist written by ffmpeg and served by python http.server', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sp-hls-'));
    children.push(
      spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '4',
        '-hls_flags', 'delete_segments', join(dir, 'live.m3u8')], { stdio: 'ignore' }),
    );
    const http = spawn('/usr/bin/python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(http);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('http.server did not start')), 5_000);
      http.stdout?.on('data', (chunk: Buffer) => {
        const m = /port (\d+)/.exec(chunk.toString());
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    await waitFor(() => existsSync(join(dir, 'live2.ts')), 8_000);
    const url = `http://127.0.0.1:${port}/live.m3u8`;
    const report = await decodeWithFfprobe(decodeCtx(url), url);
    assert.equal(report.codec, 'h264');
    assert.equal(report.width, 320);
    assert.equal(report.height, 240);
    assert.ok(report.fps !== undefined && Math.abs(report.fps - 10) < 0.5, `fps ${String(report.fps)}`);
  });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) throw new Error('condition not met in time');
    await sleep(100);
  }
}

async function retryWhileRefused<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof ProbeError && err.code === 'refused') || attempt >= 30) throw err;
      await sleep(100);
    }
  }
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
