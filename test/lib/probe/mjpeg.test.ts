import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Evidence } from '../../../nodes/lib/heartbeat.js';
import { probeHttp } from '../../../nodes/lib/probe/http-probe.js';
import type { ProbeContext } from '../../../nodes/lib/probe/types.js';
import { CAMERA_PASSWORD, CAMERA_USER, startHostileHttp } from '../../fixtures/hostile-http.js';
import type { HostileHttp } from '../../fixtures/hostile-http.js';
import { freePort, startFfmpegMjpeg, whenListening } from '../../fixtures/http-media.js';
import type { Proc } from '../../fixtures/http-media.js';
import { ffmpegJpeg } from '../../fixtures/jpeg-samples.js';
import { makeContext, runModule } from '../../fixtures/probe-context.js';
import type { Run } from '../../fixtures/probe-context.js';

const MARGIN_MS = 400;

function runHttp(url: string, overrides: Partial<ProbeContext> & { timeoutMs?: number } = {}): Promise<Run> {
  return runModule(probeHttp, makeContext(url, overrides));
}

describe('MJPEG from a real ffmpeg server', () => {
  let ffmpeg: Proc | undefined;
  afterEach(async () => {
    await ffmpeg?.stop();
    ffmpeg = undefined;
  });

  for (const contentType of [undefined, 'multipart/x-mixed-replace;boundary=ffmpeg']) {
    it(`reads the first whole frame (Content-Type ${contentType ?? 'application/octet-stream, sniffed'})`, async () => {
      const port = await freePort();
      ffmpeg = startFfmpegMjpeg(port, '640x480', contentType);
      const r = await whenListening(() => runHttp(`http://127.0.0.1:${port}/cam.mjpg`, { timeoutMs: 5000 }));
      assert.equal(r.code, 'ok', `${r.message}\n${ffmpeg.stderr()}`);
      assert.equal(r.ctx.facts.protocol, 'mjpeg');
      assert.deepEqual(r.ctx.facts.media, { codec: 'MJPEG', width: 640, height: 480 });
      assert.equal(r.evidence?.level, 'keyframe');
      assert.match(r.evidence?.frameDigest ?? '', /^[0-9a-f]{40}$/);
      assert.ok((r.evidence?.mediaBytes ?? 0) > 1000);
      assert.ok(r.ctx.timings.firstFrameMs !== undefined && r.ctx.timings.firstFrameMs < 5000);
      assert.ok(r.elapsedMs < 5000);
    });
  }
});

describe('MJPEG from a hostile camera', () => {
  let cam: HostileHttp;
  before(async () => {
    cam = await startHostileHttp(ffmpegJpeg(320, 240));
  });
  after(async () => {
    await cam.close();
  });

  it('accepts LF line ends, a quoted boundary with leading dashes and no Content-Length', async () => {
    const r = await runHttp(cam.url('/mjpeg-lf'));
    assert.equal(r.code, 'ok', r.message);
    assert.deepEqual(r.ctx.facts.media, { codec: 'MJPEG', width: 320, height: 240 });
  });

  it('a Content-Length that counts too much: the JPEG still ends at its EOI', async () => {
    const r = await runHttp(cam.url('/mjpeg-overcounted'));
    assert.equal(r.code, 'ok', r.message);
  });

  it('finds the boundary from the first line when there is no Content-Type', async () => {
    const r = await runHttp(cam.url('/mjpeg-untyped'));
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.ctx.facts.protocol, 'mjpeg');
  });

  it('same frame twice: frozen on the second probe', async () => {
    const first = await runHttp(cam.url('/mjpeg-lf'));
    assert.equal(first.code, 'ok');
    const previous: Evidence = first.evidence ?? { level: 'keyframe', mediaBytes: 0 };
    const second = await runHttp(cam.url('/mjpeg-lf'), { previous });
    assert.equal(second.code, 'frozen');
    assert.match(second.message, /picture frozen/);
    assert.equal(second.evidence?.frameDigest, previous.frameDigest);
    const other = await runHttp(cam.url('/mjpeg-lf'), { previous: { level: 'keyframe', mediaBytes: 1, frameDigest: '0'.repeat(40) } });
    assert.equal(other.code, 'ok');
  });

  it('wrong boundary: protocol_error naming it', async () => {
    const r = await runHttp(cam.url('/mjpeg-wrong-boundary'));
    assert.equal(r.code, 'protocol_error');
    assert.match(r.message, /boundary "expected" not found in the first 2 MB/);
  });

  it('headers, then nothing: no_frame at the deadline', async () => {
    const r = await runHttp(cam.url('/mjpeg-silent'), { timeoutMs: 1500 });
    assert.equal(r.code, 'no_frame', r.message);
    assert.ok(r.elapsedMs >= 1400 && r.elapsedMs < 1500 + MARGIN_MS, `took ${r.elapsedMs} ms`);
    assert.ok(r.ctx.timings.firstResponseMs !== undefined && r.ctx.timings.firstFrameMs === undefined);
  });

  it('a part cut short by the next boundary, or an HTML part: bad_frame', async () => {
    const cut = await runHttp(cam.url('/mjpeg-truncated'));
    assert.equal(cut.code, 'bad_frame');
    assert.match(cut.message, /truncated JPEG/);
    const html = await runHttp(cam.url('/mjpeg-html-part'));
    assert.equal(html.code, 'bad_frame');
    assert.match(html.message, /MJPEG part \(text\/html\) is not a JPEG: starts with "<!DOCTYPE html>/);
  });

  it('Digest-protected stream: ok, password never shown', async () => {
    const r = await runHttp(cam.url('/digest.mjpg', `${CAMERA_USER}:${CAMERA_PASSWORD}`));
    assert.equal(r.code, 'ok', r.message);
    assert.ok(!r.everything.includes(CAMERA_PASSWORD));
  });
});
