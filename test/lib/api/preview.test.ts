/**
 * api/streams/:id/preview against real servers: ffmpeg's MJPEG server, GStreamer's RTSP server
 * (decoded by the system ffmpeg), the hostile HTTP camera for Digest and login pages, and silent
 * servers for the deadline, the concurrency bound and a client that goes away.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PreviewSlots } from '../../../nodes/lib/api/preview.js';
import type { ApiContext } from '../../../nodes/lib/api/types.js';
import type { StreamConfig } from '../../../nodes/lib/config/types.js';
import { parseJpeg } from '../../../nodes/lib/probe/jpeg.js';
import { GST_PASSWORD, GST_USER, gstUnavailableReason, startGstRtspServer } from '../../fixtures/gst-rtsp.js';
import type { GstRtspServer } from '../../fixtures/gst-rtsp.js';
import { CAMERA_PASSWORD, CAMERA_USER, startHostileHttp } from '../../fixtures/hostile-http.js';
import type { HostileHttp } from '../../fixtures/hostile-http.js';
import { freePort, startFfmpegMjpeg, startPythonHttp } from '../../fixtures/http-media.js';
import { ffmpegJpeg } from '../../fixtures/jpeg-samples.js';
import { call, dashboardFixture } from './dashboard-fixtures.js';
import type { DashboardFixture, Reply } from './dashboard-fixtures.js';

function stream(id: string, url: string, extra: Partial<StreamConfig> = {}): StreamConfig {
  return {
    id, name: id, url, intervalMs: 15_000, timeoutMs: 10_000, verify: 'auto', enabled: true,
    transport: 'auto', kind: 'auto', tags: [], tlsVerify: false, ...extra,
  };
}

function assertJpeg(res: Reply, width: number, height: number): void {
  assert.equal(res.status, 200, res.text.slice(0, 300));
  assert.equal(res.headers['Content-Type'], 'image/jpeg');
  assert.equal(res.headers['Cache-Control'], 'no-store');
  const info = parseJpeg(res.bytes);
  assert.ok(!('error' in info), JSON.stringify(info));
  assert.deepEqual({ width: info.width, height: info.height }, { width, height });
}

/** A TCP server that accepts and never says a word (a hung camera). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function ffmpegChildrenFor(port: number): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith('ffmpeg') && line.includes(`127.0.0.1:${port}/`));
}

describe('api/streams/:id/preview', () => {
  let f: DashboardFixture;
  let cam: HostileHttp;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let streams: StreamConfig[] = [];
  let ctx: ApiContext;
  const jpeg = ffmpegJpeg(320, 240);

  before(async () => {
    f = await dashboardFixture();
    cam = await startHostileHttp(jpeg);
    silent = await silentServer();
    ctx = { ...f.ctx, cameras: () => ({ streams }), previewTimeoutMs: 1500, previewSlots: new PreviewSlots(2) };
  });
  after(async () => {
    await cam?.close();
    await silent?.close();
    await f?.close();
  });

  it('sends the first frame of a real MJPEG server (ffmpeg)', async () => {
    const port = await freePort();
    const server = startFfmpegMjpeg(port, '352x288');
    try {
      streams = [stream('mjpeg', `http://127.0.0.1:${port}/cam.mjpg`)];
      let res: Reply | undefined;
      const until = Date.now() + 15_000;
      // ffmpeg needs a moment before it listens; a refused connection is a 502 until then.
      do {
        res = await call({ ...ctx, previewTimeoutMs: 8000 }, '/api/streams/mjpeg/preview');
        if (res.status !== 502 || !/refused/.test(res.text)) break;
        await new Promise((r) => setTimeout(r, 200));
      } while (Date.now() < until);
      assertJpeg(res, 352, 288);
    } finally {
      await server.stop();
    }
  });

  it('answers the camera\'s Digest challenge with the stream\'s credentials (MJPEG and JPEG)', async () => {
    streams = [
      stream('mjpeg-digest', cam.url('/digest.mjpg'), { username: CAMERA_USER, password: CAMERA_PASSWORD }),
      stream('jpeg-digest', cam.url('/digest-sha256.jpg', `${CAMERA_USER}:${CAMERA_PASSWORD}`)),
      stream('wrong', cam.url('/basic.jpg'), { username: CAMERA_USER, password: 'not-the-password' }),
    ];
    for (const id of ['mjpeg-digest', 'jpeg-digest']) {
      const res = await call(ctx, `/api/streams/${id}/preview`);
      assertJpeg(res, 320, 240);
      assert.ok(res.bytes.equals(jpeg), `${id}: the camera's own JPEG, unchanged`);
    }
    const refused = await call(ctx, '/api/streams/wrong/preview');
    assert.equal(refused.status, 502);
    assert.match(refused.text, /auth_failed/);
    assert.ok(!refused.text.includes('not-the-password'));
  });

  it('refuses a login page instead of a picture', async () => {
    streams = [stream('login', cam.url('/login'))];
    const res = await call(ctx, '/api/streams/login/preview');
    assert.equal(res.status, 502);
    assert.match(String(res.json().error), /HTML page/);
  });

  it('decodes a frame of a real RTSP server (GStreamer) with ffmpeg, Digest auth included', async (t) => {
    const why = gstUnavailableReason();
    if (why) {
      t.skip(why);
      return;
    }
    let gst: GstRtspServer | undefined;
    try {
      gst = await startGstRtspServer();
      const url = gst.url('/digest');
      streams = [
        stream('rtsp', url, { username: GST_USER, password: GST_PASSWORD }),
        stream('rtsp-wrong', gst.url('/digest', { user: GST_USER, pass: 'wrong-pass-xyz' })),
      ];
      const res = await call({ ...ctx, previewTimeoutMs: 8000 }, '/api/streams/rtsp/preview');
      assertJpeg(res, 640, 480);
      const wrong = await call({ ...ctx, previewTimeoutMs: 8000 }, '/api/streams/rtsp-wrong/preview');
      assert.equal(wrong.status, 502, wrong.text);
      assert.match(String(wrong.json().error), /ffmpeg/);
      assert.ok(!wrong.text.includes('wrong-pass-xyz'), wrong.text);
    } finally {
      await gst?.stop();
    }
  });

  it('decodes a frame of an HLS stream with ffmpeg, also when only the content says it is HLS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sp-hls-'));
    const port = await freePort();
    const server = startPythonHttp(port, dir);
    try {
      execFileSync('ffmpeg', [
        '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast',
        '-g', '10', '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod', join(dir, 'index.m3u8'),
      ], { timeout: 30_000 });
      // The same playlist without its extension: python serves it as application/octet-stream.
      await copyFile(join(dir, 'index.m3u8'), join(dir, 'playlist'));
      streams = [stream('hls', `http://127.0.0.1:${port}/index.m3u8`), stream('hls-sniffed', `http://127.0.0.1:${port}/playlist`)];
      for (const id of ['hls', 'hls-sniffed']) {
        let res: Reply | undefined;
        const until = Date.now() + 10_000;
        do {
          res = await call({ ...ctx, previewTimeoutMs: 8000 }, `/api/streams/${id}/preview`);
          if (res.status !== 502 || !/refused/i.test(res.text)) break;
          await new Promise((r) => setTimeout(r, 200));
        } while (Date.now() < until);
        assertJpeg(res, 320, 180);
      }
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up at the deadline on a silent camera (HTTP natively, RTSP through ffmpeg) and leaves no ffmpeg behind', async () => {
    streams = [stream('hang', cam.url('/hang')), stream('silent-rtsp', `rtsp://127.0.0.1:${silent.port}/live`)];
    for (const id of ['hang', 'silent-rtsp']) {
      const started = performance.now();
      const res = await call(ctx, `/api/streams/${id}/preview`);
      const ms = performance.now() - started;
      assert.equal(res.status, 504, `${id}: ${res.text}`);
      assert.ok(ms >= 1000 && ms < 6000, `${id} took ${Math.round(ms)} ms for a 1.5 s deadline`);
    }
    assert.deepEqual(ffmpegChildrenFor(silent.port), []);
  });

  it('runs at most two previews at once: the third is 429 at once', async () => {
    streams = [stream('silent-rtsp', `rtsp://127.0.0.1:${silent.port}/live`), stream('hang', cam.url('/hang'))];
    const first = call(ctx, '/api/streams/silent-rtsp/preview');
    const second = call(ctx, '/api/streams/hang/preview');
    const started = performance.now();
    const third = await call(ctx, '/api/streams/hang/preview');
    assert.equal(third.status, 429, third.text);
    assert.equal(third.headers['Retry-After'], '2');
    assert.ok(performance.now() - started < 1000, 'refused without waiting');
    assert.deepEqual([(await first).status, (await second).status], [504, 504]);
    // Both slots are free again.
    assert.equal((await call(ctx, '/api/streams/hang/preview')).status, 504);
  });

  it('kills ffmpeg when the client goes away', async () => {
    streams = [stream('silent-rtsp', `rtsp://127.0.0.1:${silent.port}/live`)];
    const gone = new AbortController();
    const pending = call({ ...ctx, previewTimeoutMs: 20_000 }, '/api/streams/silent-rtsp/preview', { signal: gone.signal });
    const until = Date.now() + 5000;
    while (ffmpegChildrenFor(silent.port).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ffmpegChildrenFor(silent.port).length, 1, 'ffmpeg runs while the client waits');
    const started = performance.now();
    gone.abort();
    const res = await pending;
    assert.equal(res.status, 499);
    assert.ok(performance.now() - started < 2000);
    assert.deepEqual(ffmpegChildrenFor(silent.port), [], 'ffmpeg is gone with the client');
  });

  it('answers 501 without ffmpeg, 404 for a stream that is not in the camera list', async () => {
    streams = [stream('rtsp', `rtsp://127.0.0.1:${silent.port}/live`)];
    const missing = await call({ ...ctx, ffmpegPath: '/nonexistent/ffmpeg' }, '/api/streams/rtsp/preview');
    assert.equal(missing.status, 501);
    assert.match(String(missing.json().error), /ffmpeg/);
    assert.equal((await call(ctx, '/api/streams/nobody/preview')).status, 404);
    assert.equal((await call(f.ctx, '/api/streams/rtsp/preview')).status, 404, 'no camera list connected');
  });
});
