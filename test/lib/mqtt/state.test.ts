import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHeartbeat } from '../../../nodes/lib/heartbeat-schema.js';
import {
  EMPTY_MEMORY,
  codecLabel,
  countStates,
  hubStateJson,
  rememberHeartbeat,
  streamStateJson,
} from '../../../nodes/lib/mqtt/state.js';
import { heartbeat } from './heartbeats.js';

describe('stream state JSON', () => {
  it('is the heartbeat without evidence, plus memory and uptime, byte for byte', () => {
    const hb = {
      ...heartbeat({ media: { codec: 'H264', width: 1920, height: 1080 }, clockSkewMs: -850 }),
      evidence: { level: 'keyframe' as const, mediaBytes: 81234, frameDigest: 'a9993e364706816aba3e25717850c26c9cd0d89d' },
    };
    const memory = rememberHeartbeat(undefined, hb, { h24: 99.98765, d7: 100 });
    const expected = {
      stream: { id: 'gate', name: 'Gate', url: 'rtsp://viewer:***@10.0.0.5:554/stream1', protocol: 'rtsp' },
      ts: '2026-03-01T10:00:00.000Z',
      ok: true,
      code: 'ok',
      message: 'H264 video packets are flowing',
      latencyMs: 120,
      timings: { connectMs: 3, firstResponseMs: 10, firstFrameMs: 120 },
      media: { codec: 'H264', width: 1920, height: 1080 },
      clockSkewMs: -850,
      health: { state: 'online', since: '2026-03-01T09:00:00.000Z', changed: false, failStreak: 0, flapping: false },
      lastSeen: '2026-03-01T10:00:00.000Z',
      lastError: null,
      lastKnown: { codec: 'H.264', width: 1920, height: 1080, fps: null, clockSkewMs: -850 },
      uptime: { h24: 99.99, d7: 100, d30: null },
    };
    assert.equal(streamStateJson(hb, memory), JSON.stringify(expected));
  });

  it('holds every key the entity templates read even when nothing is known', () => {
    const hb = heartbeat({ code: 'timeout' });
    const state = JSON.parse(streamStateJson(hb, rememberHeartbeat(undefined, hb))) as Record<string, unknown>;
    assert.equal(state['lastSeen'], null);
    assert.deepEqual(state['lastKnown'], { codec: null, width: null, height: null, fps: null, clockSkewMs: null });
    assert.deepEqual(state['uptime'], { h24: null, d7: null, d30: null });
    assert.ok(!('media' in state) && !('clockSkewMs' in state));
  });

  it('carries no password even when the heartbeat URL and message had one', () => {
    const hb = heartbeat({
      url: 'rtsp://admin:Sup3rS3cret@10.0.0.5/stream1?token=T0kenValue',
      code: 'auth_failed',
      message: 'DESCRIBE rtsp://admin:Sup3rS3cret@10.0.0.5/stream1 answered 401',
    });
    const json = streamStateJson(hb, rememberHeartbeat(undefined, hb));
    assert.ok(!json.includes('Sup3rS3cret'), json);
    assert.ok(!json.includes('T0kenValue'), json);
    assert.ok(json.includes('rtsp://admin:***@10.0.0.5/stream1'));
  });

  it('copies only known fields (an extra field on a heartbeat never reaches the broker)', () => {
    const hb = { ...heartbeat(), password: 'leak', stream: { ...heartbeat().stream, password: 'leak2' } };
    const json = streamStateJson(hb, EMPTY_MEMORY);
    assert.ok(!json.includes('leak'), json);
  });
});

describe('stream state JSON of a site', () => {
  const hb = heartbeat({ id: 'gate', media: { codec: 'H264', width: 1280, height: 720 } });
  const memory = rememberHeartbeat(undefined, hb, { h24: 100 });

  it('carries <site>_<id> as stream.id and the site as stream.site; the rest is unchanged', () => {
    const plain = JSON.parse(streamStateJson(hb, memory)) as { stream: Record<string, unknown> };
    const north = JSON.parse(streamStateJson(hb, memory, 'north')) as { stream: Record<string, unknown> };
    assert.deepEqual(north.stream, { id: 'north_gate', site: 'north', name: 'Gate', url: hb.stream.url, protocol: 'rtsp' });
    assert.deepEqual(plain.stream, { id: 'gate', name: 'Gate', url: hb.stream.url, protocol: 'rtsp' });
    assert.deepEqual({ ...north, stream: null }, { ...plain, stream: null });
  });

  it('keeps two sites\' "gate" cameras apart', () => {
    const ids = ['north', 'south'].map((site) => (JSON.parse(streamStateJson(hb, memory, site)) as { stream: { id: string } }).stream.id);
    assert.deepEqual(ids, ['north_gate', 'south_gate']);
  });

  it('is a Heartbeat a central heartbeat-store accepts, with or without a site, failing or not', () => {
    for (const site of [undefined, 'north']) {
      for (const one of [hb, heartbeat({ code: 'not_found', state: 'offline', message: 'DESCRIBE answered 404' })]) {
        const state = JSON.parse(streamStateJson(one, rememberHeartbeat(undefined, one), site)) as unknown;
        const check = checkHeartbeat(state);
        assert.ok(check.ok, check.ok ? '' : check.error);
        assert.equal(check.heartbeat.stream.id, site === undefined ? 'gate' : 'north_gate');
        assert.equal(check.heartbeat.health.state, one.health.state);
      }
    }
  });
});

describe('rememberHeartbeat', () => {
  it('keeps last seen and last error across failures and recoveries', () => {
    const ok = heartbeat({ ts: '2026-03-01T10:00:00.000Z' });
    const fail = heartbeat({ ts: '2026-03-01T10:00:15.000Z', code: 'refused', message: 'connection refused by rtsp://a:pw@cam/' });
    const back = heartbeat({ ts: '2026-03-01T10:00:30.000Z' });
    const m1 = rememberHeartbeat(undefined, ok);
    const m2 = rememberHeartbeat(m1, fail);
    const m3 = rememberHeartbeat(m2, back);
    assert.equal(m2.lastSeen, '2026-03-01T10:00:00.000Z');
    assert.deepEqual(m2.lastError, { code: 'refused', message: 'connection refused by rtsp://a:***@cam/', ts: '2026-03-01T10:00:15.000Z' });
    assert.equal(m3.lastSeen, '2026-03-01T10:00:30.000Z');
    assert.deepEqual(m3.lastError, m2.lastError);
    assert.equal(m1.lastError, null);
  });

  it('remembers the picture size between keyframe probes and normalises codec names', () => {
    const keyframe = rememberHeartbeat(undefined, heartbeat({ media: { codec: 'H264', width: 1280, height: 720, fps: 25 }, clockSkewMs: 40 }));
    const packet = rememberHeartbeat(keyframe, heartbeat({ media: { codec: 'h264' } }));
    const failed = rememberHeartbeat(packet, heartbeat({ code: 'timeout' }));
    assert.deepEqual(failed.lastKnown, { codec: 'H.264', width: 1280, height: 720, fps: 25, clockSkewMs: 40 });
    const hevc = rememberHeartbeat(failed, heartbeat({ media: { codec: 'hevc', width: 3840, height: 2160 }, clockSkewMs: -5 }));
    assert.deepEqual(hevc.lastKnown, { codec: 'H.265', width: 3840, height: 2160, fps: 25, clockSkewMs: -5 });
  });

  it('keeps uptime figures not given, clamps and rounds the others', () => {
    const m1 = rememberHeartbeat(undefined, heartbeat(), { h24: 100.4, d7: 97.123456, d30: Number.NaN });
    assert.deepEqual(m1.uptime, { h24: 100, d7: 97.12, d30: null });
    const m2 = rememberHeartbeat(m1, heartbeat(), { h24: -3 });
    assert.deepEqual(m2.uptime, { h24: 0, d7: 97.12, d30: null });
    const m3 = rememberHeartbeat(m2, heartbeat(), { d7: null });
    assert.deepEqual(m3.uptime, { h24: 0, d7: null, d30: null });
  });

  it('does not change the previous memory', () => {
    const m1 = rememberHeartbeat(undefined, heartbeat({ media: { codec: 'H264' } }));
    rememberHeartbeat(m1, heartbeat({ media: { codec: 'JPEG' } }));
    assert.equal(m1.lastKnown.codec, 'H.264');
    assert.equal(EMPTY_MEMORY.lastKnown.codec, null);
  });
});

describe('codecLabel', () => {
  it('spells codecs one way whatever the probe said', () => {
    assert.deepEqual(['H264', 'h264', 'H.264', 'avc1', 'H265', 'HEVC', 'H.265', 'mjpeg', 'JPEG', 'VP9'].map(codecLabel), [
      'H.264', 'H.264', 'H.264', 'H.264', 'H.265', 'H.265', 'H.265', 'MJPEG', 'JPEG', 'VP9',
    ]);
  });
});

describe('hub state JSON', () => {
  it('counts states and rounds the rates, byte for byte', () => {
    const streams = countStates(['online', 'online', 'offline', 'degraded', 'unknown']);
    assert.equal(
      hubStateJson({ ts: '2026-03-01T10:01:00.000Z', streams, probesPerMinute: 39.96, storeBytes: 1048576.4 }),
      '{"ts":"2026-03-01T10:01:00.000Z","streams":{"total":5,"online":2,"degraded":1,"offline":1,"unknown":1},"probesPerMinute":40,"storeBytes":1048576}',
    );
  });
  it('says null for what is not known yet', () => {
    assert.equal(
      hubStateJson({ ts: '2026-03-01T10:00:00.000Z', streams: countStates([]), probesPerMinute: null, storeBytes: null }),
      '{"ts":"2026-03-01T10:00:00.000Z","streams":{"total":0,"online":0,"degraded":0,"offline":0,"unknown":0},"probesPerMinute":null,"storeBytes":null}',
    );
  });
});
