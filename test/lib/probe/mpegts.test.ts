import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { isMpegTs, parseTsSegment } from '../../../nodes/lib/probe/mpegts.js';

/** One second of test pattern as MPEG-TS, encoded by ffmpeg. */
function ffmpegTs(video: string[], audio = false, size = '640x480'): Buffer {
  return execFileSync(
    'ffmpeg',
    [
      '-v', 'error',
      ...(video.length ? ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`] : []),
      ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
      '-t', '1', ...video, ...(audio ? ['-c:a', 'aac'] : []), '-f', 'mpegts', '-',
    ],
    { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
  );
}

describe('mpegts', () => {
  it('H.264 + AAC: codec, size, fps, keyframe from PAT → PMT → PES → SPS', () => {
    const ts = ffmpegTs(['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25'], true);
    assert.ok(isMpegTs(ts));
    const info = parseTsSegment(ts.subarray(0, 256 * 1024));
    assert.ok(!('error' in info), JSON.stringify(info));
    assert.equal(info.videoCodec, 'H.264');
    assert.equal(info.streamType, 0x1b);
    assert.equal(info.audio, 'AAC');
    assert.equal(info.width, 640);
    assert.equal(info.height, 480);
    assert.equal(info.fps, 25);
    assert.equal(info.keyframe, true);
  });

  it('H.265 (stream_type 0x24), odd size', () => {
    const ts = ffmpegTs(['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error'], false, '352x288');
    const info = parseTsSegment(ts.subarray(0, 256 * 1024));
    assert.ok(!('error' in info), JSON.stringify(info));
    assert.equal(info.videoCodec, 'H.265');
    assert.equal(info.streamType, 0x24);
    assert.deepEqual([info.width, info.height], [352, 288]);
    assert.equal(info.keyframe, true);
  });

  it('MPEG-2 video: codec named, no size (no SPS)', () => {
    const info = parseTsSegment(ffmpegTs(['-c:v', 'mpeg2video']));
    assert.ok(!('error' in info));
    assert.equal(info.videoCodec, 'MPEG-2');
    assert.equal(info.width, undefined);
  });

  it('audio only: no video codec, the audio named', () => {
    const info = parseTsSegment(ffmpegTs([], true));
    assert.ok(!('error' in info));
    assert.equal(info.videoCodec, undefined);
    assert.equal(info.audio, 'AAC');
  });

  it('refuses bytes that are not a transport stream, and a TS without PAT', () => {
    assert.equal(isMpegTs(Buffer.from('<!DOCTYPE html><html>')), false);
    assert.deepEqual(parseTsSegment(Buffer.from('<html>'.repeat(100))), { error: 'not an MPEG-TS stream (no 0x47 sync every 188 bytes)' });
    const nullPackets = Buffer.alloc(188 * 4);
    for (let i = 0; i < 4; i++) {
      nullPackets[i * 188] = 0x47;
      nullPackets[i * 188 + 1] = 0x1f;
      nullPackets[i * 188 + 2] = 0xff;
      nullPackets[i * 188 + 3] = 0x10;
    }
    assert.ok(isMpegTs(nullPackets));
    assert.deepEqual(parseTsSegment(nullPackets), { error: 'MPEG-TS without a PAT in the bytes read' });
  });

  it('a cut segment still gives what its first packets hold', () => {
    const ts = ffmpegTs(['-c:v', 'libx264', '-preset', 'ultrafast']);
    const info = parseTsSegment(ts.subarray(0, 188 * 40 + 17));
    assert.ok(!('error' in info));
    assert.equal(info.videoCodec, 'H.264');
    assert.equal(info.width, 640);
  });
});
