import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_HEAD_BYTES, RtspWireParser } from '../../../../nodes/lib/probe/rtsp/wire.js';
import type { RtspMessage } from '../../../../nodes/lib/probe/rtsp/wire.js';
import { ProbeError } from '../../../../nodes/lib/util/errors.js';

function collect() {
  const messages: RtspMessage[] = [];
  const frames: { channel: number; payload: Buffer }[] = [];
  const parser = new RtspWireParser({
    message: (m) => messages.push(m),
    frame: (channel, payload) => frames.push({ channel, payload: Buffer.from(payload) }),
  });
  return { parser, messages, frames };
}

const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nm=video 0 RTP/AVP 96\r\n';
const DESCRIBE_REPLY = `RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;

describe('RtspWireParser', () => {
  it('parses a response with a body split across many chunks', () => {
    const { parser, messages } = collect();
    const bytes = Buffer.from(DESCRIBE_REPLY);
    for (let i = 0; i < bytes.length; i += 7) parser.push(bytes.subarray(i, i + 7));
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.status, 200);
    assert.equal(messages[0]?.headers.get('cseq')?.[0], '2');
    assert.equal(messages[0]?.body.toString(), SDP);
  });

  it('separates interleaved frames from responses in one chunk', () => {
    const { parser, messages, frames } = collect();
    const frame = Buffer.from([0x24, 0x00, 0x00, 0x03, 0x80, 0x60, 0x01]);
    const rtcp = Buffer.from([0x24, 0x01, 0x00, 0x02, 0x81, 0xc8]);
    parser.push(Buffer.concat([frame, Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 5\r\n\r\n'), rtcp]));
    assert.deepEqual(frames.map((f) => f.channel), [0, 1]);
    assert.deepEqual([...(frames[0]?.payload ?? [])], [0x80, 0x60, 0x01]);
    assert.equal(messages[0]?.status, 200);
  });

  it('waits for a frame split at its length field', () => {
    const { parser, frames } = collect();
    parser.push(Buffer.from([0x24, 0x00, 0x00]));
    assert.equal(frames.length, 0);
    parser.push(Buffer.from([0x02, 0xaa, 0xbb]));
    assert.equal(frames.length, 1);
  });

  it('hands server requests (keep-alive GET_PARAMETER) over with their method', () => {
    const { parser, messages } = collect();
    parser.push(Buffer.from('GET_PARAMETER rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 9\r\n\r\n'));
    assert.equal(messages[0]?.method, 'GET_PARAMETER');
    assert.equal(messages[0]?.status, 0);
  });

  it('keeps repeated headers (several WWW-Authenticate challenges)', () => {
    const { parser, messages } = collect();
    parser.push(Buffer.from('RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm="a", nonce="n"\r\nWWW-Authenticate: Basic realm="a"\r\n\r\n'));
    assert.equal(messages[0]?.headers.get('www-authenticate')?.length, 2);
  });

  it('accepts bare LF line ends', () => {
    const { parser, messages } = collect();
    parser.push(Buffer.from('RTSP/1.0 200 OK\nCSeq: 1\nContent-Length: 2\n\nhi'));
    assert.equal(messages[0]?.body.toString(), 'hi');
  });

  it('rejects garbage as a protocol error', () => {
    const { parser } = collect();
    assert.throws(() => parser.push(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5])), (err: unknown) => err instanceof ProbeError && err.code === 'protocol_error');
    assert.throws(() => collect().parser.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), ProbeError);
  });

  it('refuses a head longer than the limit while it is still arriving', () => {
    const { parser } = collect();
    parser.push(Buffer.from('RTSP/1.0 200 OK\r\nX-Junk: '));
    const chunk = Buffer.alloc(16 * 1024, 0x41);
    assert.throws(() => {
      for (let sent = 0; sent <= MAX_HEAD_BYTES + chunk.length; sent += chunk.length) parser.push(chunk);
    }, /longer than 64 KiB/);
  });

  it('unfolds obsolete header line folding (CRLF or LF)', () => {
    const { parser, messages } = collect();
    parser.push(Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS,\r\n DESCRIBE,\n\tPLAY\r\n\r\n'));
    assert.deepEqual(messages[0]?.headers.get('public'), ['OPTIONS, DESCRIBE, PLAY']);
  });

  it('borrowed chunks: a tail kept across pushes survives the caller reusing its buffer', () => {
    const { parser, messages, frames } = collect();
    const payload = Buffer.from([0x80, 0x60, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]);
    const frame = Buffer.concat([Buffer.from([0x24, 0x00, 0x00, payload.length]), payload]);
    const bytes = Buffer.concat([frame, Buffer.from(DESCRIBE_REPLY), frame]);
    // One reused read buffer, as net.connect's `onread` gives: overwritten after every push.
    const shared = Buffer.alloc(64);
    for (let i = 0; i < bytes.length; i += 5) {
      const n = bytes.copy(shared, 0, i, i + 5);
      parser.push(shared.subarray(0, n), true);
      shared.fill(0xff);
    }
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.body.toString(), SDP);
    assert.deepEqual(frames.map((f) => f.payload.toString('hex')), [payload.toString('hex'), payload.toString('hex')]);
  });

  it('refuses an absurd Content-Length', () => {
    const { parser } = collect();
    assert.throws(() => parser.push(Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n')), /Content-Length/);
  });
});
