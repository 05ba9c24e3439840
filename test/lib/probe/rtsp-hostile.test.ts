/**
 * The native RTSP prober against a hostile fake camera (test/fixtures/fake-camera): every fault
 * gets its honest code within the deadline, the session is always torn down, sockets are closed,
 * and the password never shows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProbeCode, ProbeResult } from '../../../nodes/lib/heartbeat.js';
import { probe } from '../../../nodes/lib/probe/index.js';
import type { ProbeOptions, ProbeTarget } from '../../../nodes/lib/probe/index.js';
import { startFakeCamera } from '../../fixtures/fake-camera.js';
import type { FakeCamera } from '../../fixtures/fake-camera.js';
import { makeSelfSignedCert } from '../../fixtures/tls-cert.js';

const DEADLINE_MS = 1500;
/** Slack for timers and a loaded CI machine; the prober itself keeps TEARDOWN inside the deadline. */
const SLACK_MS = 700;
const USER = { user: 'admin', pass: 's3cret' };

async function expectCode(target: ProbeTarget, code: ProbeCode, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? DEADLINE_MS;
  const started = performance.now();
  const r = await probe(target, { ...options, timeoutMs });
  const took = performance.now() - started;
  assert.equal(r.code, code, `${target.url}: ${r.code} — ${r.message}`);
  assert.ok(took <= timeoutMs + SLACK_MS, `${target.url} took ${Math.round(took)} ms`);
  assert.ok(!JSON.stringify(r).includes('s3cret'), JSON.stringify(r));
  return r;
}

describe('RTSP probe against a hostile camera', () => {
  let cam: FakeCamera;
  before(async () => {
    cam = await startFakeCamera();
  });
  after(async () => {
    await cam?.close();
  });

  const cases: [string, ProbeCode][] = [
    ['/silent', 'timeout'],
    ['/slow', 'timeout'],
    ['/reset-on-connect', 'refused'],
    ['/reset-mid-describe', 'protocol_error'],
    ['/status-404', 'not_found'],
    ['/status-454', 'not_found'],
    ['/status-500', 'server_error'],
    ['/garbage', 'protocol_error'],
    ['/huge-header', 'protocol_error'],
    ['/no-video-sdp', 'no_video'],
    ['/play-no-rtp', 'no_frame'],
    ['/rtp-no-keyframe', 'no_frame'],
  ];
  for (const [path, code] of cases) {
    it(`${path.slice(1)} → ${code}`, async () => {
      await expectCode({ url: cam.url(path, USER) }, code);
      await cam.whenIdle(2000);
    });
  }

  it('401 forever is auth_failed after exactly one retry', async () => {
    cam.clearLog();
    const r = await expectCode({ url: cam.url('/unauthorized-forever', USER) }, 'auth_failed');
    assert.match(r.message, /rejected the credentials of user "admin"/);
    assert.equal(cam.requests().length, 2, cam.requests().map((q) => q.method).join(','));
  });

  it('a normal camera: keyframe, size, TEARDOWN sent, connection closed', async () => {
    cam.clearLog();
    const r = await expectCode({ url: cam.url('/ok') }, 'ok', { timeoutMs: 5000 });
    assert.deepEqual([r.media?.width, r.media?.height], [320, 240]);
    await cam.whenIdle(2000);
    assert.equal(cam.connections.length, 1);
    assert.equal(cam.connections[0]?.teardown, true);
    assert.equal(cam.connections[0]?.closedBy, 'client');
  });

  it('P-frames only: packet level is ok, keyframe level says packets came but no keyframe', async () => {
    await expectCode({ url: cam.url('/rtp-no-keyframe'), verify: 'packet' }, 'ok');
    const r = await expectCode({ url: cam.url('/rtp-no-keyframe') }, 'no_frame');
    assert.match(r.message, /video packets .* but no whole keyframe/);
  });

  it('a session that plays without RTP says so and still tears down', async () => {
    cam.clearLog();
    const r = await expectCode({ url: cam.url('/play-no-rtp') }, 'no_frame');
    assert.match(r.message, /no video RTP arrived/);
    await cam.whenIdle(2000);
    assert.equal(cam.connections[0]?.teardown, true);
  });

  it('461 on TCP falls back to UDP; forcing TCP fails clearly', async () => {
    cam.clearLog();
    await expectCode({ url: cam.url('/tcp-refused') }, 'ok', { timeoutMs: 5000 });
    assert.equal(cam.connections[0]?.transport, 'udp');
    const forced = await expectCode({ url: cam.url('/tcp-refused'), transport: 'tcp' }, 'protocol_error');
    assert.match(forced.message, /461/);
  });

  it('follows one redirect (DESCRIBE or OPTIONS)', async () => {
    await expectCode({ url: cam.url('/redirect') }, 'ok', { timeoutMs: 5000 });
    await expectCode({ url: cam.url('/redirect-options') }, 'ok', { timeoutMs: 5000 });
  });

  it('copes with server requests, early RTP and out-of-order answers', async () => {
    cam.clearLog();
    await expectCode({ url: cam.url('/out-of-order') }, 'ok', { timeoutMs: 5000 });
    assert.ok((cam.connections[0]?.clientResponses ?? 0) > 0, 'answered the camera’s own requests');
  });

  it('keeps a short session alive while it waits for a keyframe', async () => {
    const slowGop = await startFakeCamera({ behaviour: 'short-session', gop: 40, fps: 10, seconds: 8 });
    try {
      const r = await expectCode({ url: slowGop.url('/short-session') }, 'ok', { timeoutMs: 7000 });
      assert.ok(r.latencyMs > 2000 || r.evidence?.level === 'keyframe');
      const methods = slowGop.requests().map((q) => q.method);
      if (r.latencyMs > 2000) assert.ok(methods.includes('GET_PARAMETER') || methods.filter((m) => m === 'OPTIONS').length > 1, methods.join(','));
    } finally {
      await slowGop.close();
    }
  });

  it('a frozen picture is ok once, frozen when the next keyframe is identical', async () => {
    const first = await expectCode({ url: cam.url('/frozen') }, 'ok', { timeoutMs: 5000 });
    assert.ok(first.evidence?.frameDigest);
    const second = await expectCode({ url: cam.url('/frozen') }, 'frozen', { timeoutMs: 5000, ...(first.evidence ? { previous: first.evidence } : {}) });
    assert.equal(second.ok, false);
    const moving = await expectCode({ url: cam.url('/ok') }, 'ok', { timeoutMs: 5000, ...(first.evidence ? { previous: first.evidence } : {}) });
    assert.notEqual(moving.evidence?.frameDigest, first.evidence?.frameDigest);
  });

  it('H.265 camera', async () => {
    const r = await expectCode({ url: cam.url('/h265') }, 'ok', { timeoutMs: 5000 });
    assert.equal(r.media?.codec, 'H265');
  });

  it('clock skew from the Date header; none without one', async () => {
    const skewed = await expectCode({ url: cam.url('/skewed-clock') }, 'ok', { timeoutMs: 5000 });
    assert.ok(Math.abs((skewed.clockSkewMs ?? 0) - 90_000) <= 1500, `skew ${skewed.clockSkewMs}`);
    const none = await expectCode({ url: cam.url('/no-date') }, 'ok', { timeoutMs: 5000 });
    assert.equal(none.clockSkewMs, undefined);
  });

  it('a DNS name that does not resolve is dns', async () => {
    await expectCode({ url: 'rtsp://camera.does-not-exist.invalid/stream' }, 'dns', { timeoutMs: 5000 });
  });

  it('the caller can abort: the probe rejects with the reason and releases the connection', async () => {
    const controller = new AbortController();
    const pending = probe({ url: cam.url('/silent') }, { timeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stream removed')), 100);
    await assert.rejects(pending, /stream removed/);
    await cam.whenIdle(2000);
  });
});

describe('RTSP authentication against the fake camera', () => {
  for (const scheme of ['basic', 'digest-md5', 'digest-sha256', 'digest-md5-noqop', 'digest-both'] as const) {
    it(`${scheme}: ok with the right password, auth_failed with a wrong one`, async () => {
      const cam = await startFakeCamera({ auth: { scheme, ...USER } });
      try {
        await expectCode({ url: cam.url('/ok', USER) }, 'ok', { timeoutMs: 5000 });
        const bad = await expectCode({ url: cam.url('/ok'), username: 'admin', password: 'not-s3cret' }, 'auth_failed');
        assert.ok(!bad.message.includes('not-s3cret'));
        const none = await expectCode({ url: cam.url('/ok') }, 'auth_failed');
        assert.match(none.message, /no credentials/);
      } finally {
        await cam.close();
      }
    });
  }
});

describe('RTSPS', () => {
  it('probes over TLS with a self-signed certificate', async () => {
    const tls = await makeSelfSignedCert();
    const cam = await startFakeCamera({ tls });
    try {
      const r = await expectCode({ url: cam.url('/ok') }, 'ok', { timeoutMs: 5000 });
      assert.equal(r.stream.protocol, 'rtsps');
      await expectCode({ url: cam.url('/ok'), tlsVerify: true }, 'tls', { timeoutMs: 5000 });
    } finally {
      await cam.close();
    }
  });

  it('a TLS handshake with a plain-TCP camera fails as tls', async () => {
    const cam = await startFakeCamera();
    try {
      await expectCode({ url: cam.url('/ok').replace('rtsp://', 'rtsps://') }, 'tls');
    } finally {
      await cam.close();
    }
  });
});
