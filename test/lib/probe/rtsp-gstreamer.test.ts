/**
 * The native RTSP prober against a real RTSP server nobody here wrote: GStreamer's
 * gst-rtsp-server (test/fixtures/gst-rtsp-server.py), started on a free 127.0.0.1 port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { probe } from '../../../nodes/lib/probe/index.js';
import { startGstRtspServer } from '../../fixtures/gst-rtsp.js';

type Gst = Awaited<ReturnType<typeof startGstRtspServer>>;

describe('RTSP probe against GStreamer RTSP server', () => {
  let gst: Gst;
  before(async () => {
    gst = await startGstRtspServer();
  });
  after(async () => {
    await gst?.stop();
  });

  it('H.264: a whole keyframe, codec and size from the SPS, timings in order', async () => {
    const r = await probe({ url: gst.url('/h264') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.ok, true);
    assert.equal(r.stream.protocol, 'rtsp');
    assert.equal(r.media?.codec, 'H264');
    assert.equal(r.media?.width, 640);
    assert.equal(r.media?.height, 480);
    assert.equal(r.evidence?.level, 'keyframe');
    assert.match(r.evidence?.frameDigest ?? '', /^[0-9a-f]{40}$/);
    const t = r.timings;
    assert.ok(t.connectMs !== undefined && t.firstResponseMs !== undefined && t.firstFrameMs !== undefined, JSON.stringify(t));
    assert.ok(t.connectMs <= t.firstResponseMs && t.firstResponseMs <= t.firstFrameMs && t.firstFrameMs <= r.latencyMs);
    // gst-rtsp-server sends a Date header from the same clock: skew within the header's 1 s grain.
    assert.ok(r.clockSkewMs !== undefined && Math.abs(r.clockSkewMs) <= 1500, `skew ${r.clockSkewMs}`);
  });

  it('H.264 packet level stops at the first video packet', async () => {
    const r = await probe({ url: gst.url('/h264'), verify: 'packet' }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.evidence?.level, 'packet');
    assert.equal(r.evidence?.frameDigest, undefined);
  });

  it('H.265: keyframe (IRAP) and size', async () => {
    const r = await probe({ url: gst.url('/h265') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.media?.codec, 'H265');
    assert.deepEqual([r.media?.width, r.media?.height], [320, 240]);
  });

  it('H.264 720p: frame cropping gives 1280x720 (not 1280x736)', async () => {
    const r = await probe({ url: gst.url('/h264-720p') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
    assert.deepEqual([r.media?.width, r.media?.height], [1280, 720]);
  });

  it('video with audio reports both codecs', async () => {
    const r = await probe({ url: gst.url('/h264-audio') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.media?.codec, 'H264');
    assert.ok(r.media?.audio, 'audio codec reported');
  });

  it('an audio-only stream is no_video', async () => {
    const r = await probe({ url: gst.url('/audio') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'no_video', r.message);
    assert.equal(r.ok, false);
  });

  it('Basic auth: ok with the right password, auth_failed with a wrong one, password never shown', async () => {
    const good = await probe({ url: gst.url('/basic', { user: 'admin', pass: 's3cret' }) }, { timeoutMs: 8000 });
    assert.equal(good.code, 'ok', good.message);
    assert.equal(good.stream.url, `rtsp://admin:***@127.0.0.1:${gst.port}/basic`);
    const bad = await probe({ url: gst.url('/basic'), username: 'admin', password: 'wrong-s3cret' }, { timeoutMs: 8000 });
    assert.equal(bad.code, 'auth_failed', bad.message);
    for (const r of [good, bad]) assert.ok(!JSON.stringify(r).includes('s3cret'), JSON.stringify(r));
  });

  it('Digest auth with credentials in separate fields', async () => {
    const r = await probe({ url: gst.url('/digest'), username: 'admin', password: 's3cret' }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
    assert.ok(!JSON.stringify(r).includes('s3cret'));
  });

  it('a protected stream without credentials is auth_failed, naming the scheme', async () => {
    const r = await probe({ url: gst.url('/digest') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'auth_failed');
    assert.match(r.message, /Digest/);
  });

  it('an unknown path is not_found', async () => {
    const r = await probe({ url: gst.url('/no-such-camera') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'not_found', r.message);
  });

  it('UDP transport when forced', async () => {
    const r = await probe({ url: gst.url('/h264'), transport: 'udp' }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
  });

  it('JPEG over RTP counts a whole frame as the keyframe', async () => {
    const r = await probe({ url: gst.url('/mjpeg-rtp') }, { timeoutMs: 8000 });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.media?.codec, 'JPEG');
    assert.deepEqual([r.media?.width, r.media?.height], [320, 240]);
  });

  it('a closed port is refused', async () => {
    const { freePort } = await import('../../fixtures/ports.js');
    const port = await freePort();
    const r = await probe({ url: `rtsp://127.0.0.1:${port}/x` }, { timeoutMs: 3000 });
    assert.equal(r.code, 'refused', r.message);
  });
});
