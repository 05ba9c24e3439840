import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { audioCodec, firstVideo, parseSdp, resolveControlUrl } from '../../../nodes/lib/probe/sdp.js';

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** Shaped like what a Hikvision camera answers to DESCRIBE. */
const HIKVISION = crlf([
  'v=0',
  'o=- 1700000000000000 1700000000000000 IN IP4 192.0.2.10',
  's=Media Presentation',
  'e=NONE',
  'b=AS:5100',
  't=0 0',
  'a=control:rtsp://192.0.2.10:554/Streaming/Channels/101/?transportmode=unicast',
  'm=video 0 RTP/AVP 96',
  'c=IN IP4 0.0.0.0',
  'b=AS:5000',
  'a=recvonly',
  'a=x-dimensions:1920,1080',
  'a=control:rtsp://192.0.2.10:554/Streaming/Channels/101/trackID=1?transportmode=unicast',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z00AKp2oHgCJ+WbgICAoAAADAAgAAAMBlCA=,aO48gA==',
  'm=audio 0 RTP/AVP 0',
  'c=IN IP4 0.0.0.0',
  'b=AS:50',
  'a=recvonly',
  'a=control:rtsp://192.0.2.10:554/Streaming/Channels/101/trackID=2?transportmode=unicast',
  'a=rtpmap:0 PCMU/8000',
  'a=Media_header:MEDIAINFO=494D4B48010100000400010010710110401F000000FA000000000000000000000000000000000000;',
  'a=appversion:1.0',
]);

/** Shaped like GStreamer's rtsp-server with H.265 and AAC. */
const GSTREAMER = [
  'v=0',
  'o=- 1188340656180883 1 IN IP4 127.0.0.1',
  's=Session streamed with GStreamer',
  'i=rtsp-server',
  't=0 0',
  'a=tool:GStreamer',
  'a=type:broadcast',
  'a=control:*',
  'a=range:npt=now-',
  'm=video 0 RTP/AVP 96',
  'c=IN IP4 0.0.0.0',
  'a=rtpmap:96 H265/90000',
  'a=framerate:25',
  'a=fmtp:96 sprop-parameter-sets=x;sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA/lZgJ;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA/oAUCAXHy5lZWTkyyIAAAAwAgAAADAyE=;sprop-pps=RAHA8vA8kAA=',
  'a=control:stream=0',
  'm=audio 0 RTP/AVP 97',
  'c=IN IP4 0.0.0.0',
  'a=rtpmap:97 MPEG4-GENERIC/48000/2',
  'a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1190;sizelength=13;indexlength=3;indexdeltalength=3',
  'a=control:stream=1',
].join('\n');

describe('parseSdp', () => {
  it('reads media, rtpmap, fmtp and control of a camera answer (CRLF)', () => {
    const sdp = parseSdp(HIKVISION);
    assert.equal(sdp.control, 'rtsp://192.0.2.10:554/Streaming/Channels/101/?transportmode=unicast');
    assert.equal(sdp.media.length, 2);
    const [video, audio] = sdp.media;
    assert.ok(video && audio);
    assert.equal(video.kind, 'video');
    assert.equal(video.port, 0);
    assert.equal(video.protocol, 'RTP/AVP');
    assert.deepEqual(video.payloadTypes, [96]);
    assert.equal(video.control, 'rtsp://192.0.2.10:554/Streaming/Channels/101/trackID=1?transportmode=unicast');
    assert.deepEqual(video.rtpmap.get(96), { encoding: 'H264', clockRate: 90000 });
    const fmtp = video.fmtp.get(96);
    assert.equal(fmtp?.['packetization-mode'], '1');
    assert.equal(fmtp?.['profile-level-id'], '420029');
    // Base64 padding ('=') inside a value survives the key=value split.
    assert.equal(fmtp?.['sprop-parameter-sets'], 'Z00AKp2oHgCJ+WbgICAoAAADAAgAAAMBlCA=,aO48gA==');
    assert.deepEqual(audio.rtpmap.get(0), { encoding: 'PCMU', clockRate: 8000 });
  });

  it('reads an LF-only answer with session control "*", channels and framerate', () => {
    const sdp = parseSdp(GSTREAMER);
    assert.equal(sdp.control, '*');
    const [video, audio] = sdp.media;
    assert.equal(video?.control, 'stream=0');
    assert.equal(video?.framerate, 25);
    assert.equal(video?.fmtp.get(96)?.['sprop-pps'], 'RAHA8vA8kAA=');
    assert.deepEqual(audio?.rtpmap.get(97), { encoding: 'MPEG4-GENERIC', clockRate: 48000, channels: 2 });
  });

  it('fills static payload types (RFC 3551) without rtpmap, and rtpmap overrides them', () => {
    const sdp = parseSdp('v=0\nm=video 0 RTP/AVP 26\nm=video 0 RTP/AVP 32 34\nm=audio 0 RTP/AVP 8 0\nm=video 0 RTP/AVP 34\na=rtpmap:34 H263-1998/90000\n');
    assert.deepEqual(sdp.media[0]?.rtpmap.get(26), { encoding: 'JPEG', clockRate: 90000 });
    assert.equal(sdp.media[1]?.rtpmap.get(32)?.encoding, 'MPV');
    assert.equal(sdp.media[1]?.rtpmap.get(34)?.encoding, 'H263');
    assert.equal(sdp.media[2]?.rtpmap.get(8)?.encoding, 'PCMA');
    assert.equal(sdp.media[3]?.rtpmap.get(34)?.encoding, 'H263-1998');
  });

  it('tolerates junk, odd spacing, lower-case encodings and missing fields', () => {
    const sdp = parseSdp(
      [
        'garbage line',
        '',
        '  v=0  ',
        'a=control: rtsp://cam/live ',
        'm=video',
        'a=control:lost',
        'm=video 5000/2 RTP/AVP 96 abc 300 97',
        'a=rtpmap:96 h264',
        'a=rtpmap:97 hevc/90000',
        'a=rtpmap:bad',
        'a=fmtp:96 packetization-mode=1;;flag; sprop-parameter-sets = Z0IA ',
        'a=fmtp:',
        'a=x-framerate:12.5',
        'x',
        '=nothing',
      ].join('\r'),
    );
    assert.equal(sdp.control, 'rtsp://cam/live');
    assert.equal(sdp.media.length, 1, 'the unreadable m= line is skipped and keeps its attributes');
    const media = sdp.media[0];
    assert.ok(media);
    assert.equal(media.port, 5000);
    assert.deepEqual(media.payloadTypes, [96, 97]);
    assert.deepEqual(media.rtpmap.get(96), { encoding: 'H264', clockRate: 90000 });
    assert.equal(media.rtpmap.get(97)?.encoding, 'H265');
    assert.deepEqual(media.fmtp.get(96), { 'packetization-mode': '1', flag: '', 'sprop-parameter-sets': 'Z0IA' });
    assert.equal(media.framerate, 12.5);
    assert.equal(media.control, undefined);
  });

  it('returns an empty description for empty or non-SDP text', () => {
    assert.deepEqual(parseSdp(''), { media: [] });
    assert.deepEqual(parseSdp('<html><body>login</body></html>'), { media: [] });
  });
});

describe('firstVideo', () => {
  it('picks the first video track, its payload type, codec and fmtp', () => {
    const video = firstVideo(parseSdp(HIKVISION));
    assert.ok(video);
    assert.equal(video.payloadType, 96);
    assert.equal(video.codec, 'H264');
    assert.equal(video.clockRate, 90000);
    assert.equal(video.fmtp['packetization-mode'], '1');
    assert.equal(video.media.control?.includes('trackID=1'), true);
    assert.equal(firstVideo(parseSdp(GSTREAMER))?.codec, 'H265');
  });

  it('skips audio/application media and prefers a payload type with a known encoding', () => {
    const sdp = parseSdp('m=application 0 RTP/AVP 107\na=rtpmap:107 vnd.onvif.metadata/90000\nm=video 0 RTP/AVP 99 26\n');
    const video = firstVideo(sdp);
    assert.equal(video?.payloadType, 26);
    assert.equal(video?.codec, 'JPEG');
    assert.deepEqual(video?.fmtp, {});
  });

  it('reports an unknown codec rather than no video when the payload type is unmapped', () => {
    const video = firstVideo(parseSdp('m=video 0 RTP/AVP 98\n'));
    assert.equal(video?.codec, 'unknown');
    assert.equal(video?.payloadType, 98);
  });

  it('is undefined without video (the prober reports no_video)', () => {
    assert.equal(firstVideo(parseSdp('v=0\nm=audio 0 RTP/AVP 0\n')), undefined);
    assert.equal(firstVideo(parseSdp('v=0\nm=video 0 RTP/AVP\n')), undefined, 'video line without formats');
    assert.equal(firstVideo(parseSdp('')), undefined);
  });
});

describe('audioCodec', () => {
  it('names the first audio codec readably', () => {
    assert.equal(audioCodec(parseSdp(HIKVISION)), 'G.711 µ-law');
    assert.equal(audioCodec(parseSdp(GSTREAMER)), 'AAC');
    assert.equal(audioCodec(parseSdp('m=audio 0 RTP/AVP 8\n')), 'G.711 A-law');
    assert.equal(audioCodec(parseSdp('m=audio 0 RTP/AVP 97\na=rtpmap:97 G726-32/8000\n')), 'G.726');
    assert.equal(audioCodec(parseSdp('m=audio 0 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n')), 'Opus');
    assert.equal(audioCodec(parseSdp('m=audio 0 RTP/AVP 100\na=rtpmap:100 SPEEX/16000\n')), 'SPEEX');
    assert.equal(audioCodec(parseSdp('m=audio 0 RTP/AVP 101\n')), 'payload type 101');
  });

  it('is undefined without audio', () => {
    assert.equal(audioCodec(parseSdp('m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\n')), undefined);
  });
});

describe('resolveControlUrl', () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['rtsp://h/stream', 'trackID=1', 'rtsp://h/stream/trackID=1'],
    ['rtsp://h/stream/', 'trackID=1', 'rtsp://h/stream/trackID=1'],
    ['rtsp://h:8554/test/', 'stream=0', 'rtsp://h:8554/test/stream=0'],
    ['rtsp://h/stream', undefined, 'rtsp://h/stream'],
    ['rtsp://h/stream', '*', 'rtsp://h/stream'],
    ['rtsp://h/stream', '  ', 'rtsp://h/stream'],
    ['rtsp://h/stream', 'rtsp://other:554/track1', 'rtsp://other:554/track1'],
    ['rtsp://h/stream', 'RTSPS://h/x', 'RTSPS://h/x'],
    ['rtsp://h:554/a/b', '/track2', 'rtsp://h:554/track2'],
    // Dahua announces a Content-Base whose query ends in '/'; the track goes after it.
    ['rtsp://h/cam/realmonitor?channel=1&subtype=0/', 'trackID=0', 'rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=0'],
    ['rtsp://h/live?ch=1', 'trackID=1', 'rtsp://h/live?ch=1/trackID=1'],
  ];
  for (const [base, control, expected] of cases) {
    it(`${base} + ${String(control)}`, () => {
      assert.equal(resolveControlUrl(base, control), expected);
    });
  }
});
