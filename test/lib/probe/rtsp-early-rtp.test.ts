/**
 * RTP that arrives in the same read as the PLAY answer (a camera that pushes its cached keyframe
 * right behind the 200) is evidence: the probe must use it, not wait a whole GOP for the next
 * keyframe. And RTP before a PLAY that then fails must never turn the failure into `ok`.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { probe } from '../../../nodes/lib/probe/index.js';
import { makeClip } from '../../fixtures/clips.js';
import type { Clip } from '../../fixtures/clips.js';
import { startFakeCamera } from '../../fixtures/fake-camera.js';
import type { FakeCamera } from '../../fixtures/fake-camera.js';
import { buildSdp, VIDEO_PT } from '../../fixtures/fake-camera/media.js';
import { interleavedFrame } from '../../fixtures/fake-camera/rtsp-wire.js';
import { packetizeAccessUnit } from '../../fixtures/rtp-packetizer.js';

/** 10 fps with a keyframe every 20 frames: a missed keyframe costs 2 s. */
const FPS = 10;
const GOP = 20;
const GOP_MS = (GOP * 1000) / FPS;
/** Shorter than a GOP: only the keyframe sent with the PLAY answer can make the probe `ok`. */
const TIMEOUT_MS = 1500;

describe('RTSP probe: RTP in the same read as the PLAY answer', () => {
  let cam: FakeCamera;
  /** One frame per second: a dropped first frame leaves a packet-level probe a second short. */
  let slow: FakeCamera;
  before(async () => {
    cam = await startFakeCamera({ startOnKeyframe: true, fps: FPS, gop: GOP, seconds: 4, rtpWithPlayResponse: true });
    slow = await startFakeCamera({ fps: 1, gop: 4, seconds: 4, rtpWithPlayResponse: true });
  });
  after(async () => {
    await cam?.close();
    await slow?.close();
  });

  it('keyframe level: the keyframe behind the PLAY answer is the evidence (TCP)', async () => {
    cam.clearLog();
    const r = await probe({ url: cam.url('/ok') }, { timeoutMs: TIMEOUT_MS });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.evidence?.level, 'keyframe');
    assert.deepEqual([r.media?.width, r.media?.height], [320, 240]);
    const first = r.timings.firstFrameMs ?? Infinity;
    assert.ok(first < GOP_MS / 2, `first keyframe after ${first} ms: the one sent with the PLAY answer was dropped`);
    await cam.whenIdle(2000);
    assert.equal(cam.connections[0]?.teardown, true, 'TEARDOWN sent');
    assert.equal(cam.connections[0]?.closedBy, 'client');
  });

  it('packet level: the first packet behind the PLAY answer counts', async () => {
    const r = await probe({ url: slow.url('/ok'), verify: 'packet' }, { timeoutMs: 800 });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(r.evidence?.level, 'packet');
  });

  it('UDP: RTP that overtakes the PLAY answer counts', async () => {
    // With rtpWithPlayResponse the camera sends the first frame's datagrams before it writes the
    // (coalesced) PLAY answer on TCP, so they reach us first.
    cam.clearLog();
    const r = await probe({ url: cam.url('/tcp-refused') }, { timeoutMs: TIMEOUT_MS });
    assert.equal(r.code, 'ok', r.message);
    assert.equal(cam.connections[0]?.transport, 'udp');
    await cam.whenIdle(2000);
  });
});

describe('RTSP probe: RTP before a PLAY that fails', () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  before(async () => {
    const clip = await makeClip('H264', { width: 160, height: 120, fps: FPS, gop: GOP, seconds: 1 });
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      serveKeyframeThen454(socket, clip);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a keyframe followed by 454 is not_found, never ok', async () => {
    const r = await probe({ url: `rtsp://127.0.0.1:${port}/cam` }, { timeoutMs: TIMEOUT_MS });
    assert.equal(r.code, 'not_found', r.message);
    assert.match(r.message, /PLAY: 454/);
  });
});

/**
 * A scripted camera: plain answers to OPTIONS, DESCRIBE, SETUP; on PLAY a whole keyframe as
 * interleaved RTP and then `454 Session Not Found`, in one write.
 */
function serveKeyframeThen454(socket: Socket, clip: Clip): void {
  let pending = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
      const head = pending.slice(0, end);
      pending = pending.slice(end + 4);
      const method = head.split(' ')[0] ?? '';
      const cseq = /^CSeq:\s*(\d+)/im.exec(head)?.[1] ?? '0';
      socket.write(answer(method, cseq, clip));
    }
  });
}

function answer(method: string, cseq: string, clip: Clip): Buffer {
  const reply = (status: string, headers: string[] = [], body = ''): Buffer =>
    Buffer.from(
      [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...headers, ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : []), '', body].join('\r\n'),
      'latin1',
    );
  switch (method) {
    case 'OPTIONS':
      return reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
    case 'DESCRIBE': {
      const sdp = buildSdp({ codec: 'H264', clip, fps: FPS, video: true, audio: false, videoControl: 'trackID=1', audioControl: 'trackID=2' });
      return reply('200 OK', ['Content-Type: application/sdp'], sdp);
    }
    case 'SETUP':
      return reply('200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 5EC7;timeout=60']);
    case 'PLAY': {
      const keyframe = clip.accessUnits[0] ?? [];
      const { packets } = packetizeAccessUnit('H264', keyframe, { payloadType: VIDEO_PT, sequence: 1, timestamp: 0, ssrc: 7 });
      return Buffer.concat([...packets.map((p) => interleavedFrame(0, p)), reply('454 Session Not Found')]);
    }
    default:
      return reply('200 OK', ['Session: 5EC7']);
  }
}
