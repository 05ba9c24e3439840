import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindUdpPair, parseSession, parseTransport, requestTransport } from '../../../../nodes/lib/probe/rtsp/transport.js';

describe('RTSP Transport header', () => {
  it('asks for interleaved TCP on channels 0-1', () => {
    assert.equal(requestTransport('tcp'), 'RTP/AVP/TCP;unicast;interleaved=0-1');
  });
  it('asks for UDP with the client port pair', () => {
    assert.equal(requestTransport('udp', [50000, 50001]), 'RTP/AVP;unicast;client_port=50000-50001');
  });
  it('reads the interleaved channels the camera chose', () => {
    assert.deepEqual(parseTransport('RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=1234ABCD;mode="PLAY"', 'tcp'), {
      lower: 'tcp',
      interleaved: [2, 3],
    });
  });
  it('defaults the channels to 0-1 when the camera omits them', () => {
    assert.deepEqual(parseTransport('RTP/AVP/TCP;unicast', 'tcp').interleaved, [0, 1]);
  });
  it('reads UDP server ports and source', () => {
    assert.deepEqual(parseTransport('RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;source=10.0.0.9', 'udp'), {
      lower: 'udp',
      serverPorts: [6970, 6971],
      source: '10.0.0.9',
    });
  });
  it('treats RTP/AVP/UDP as UDP', () => {
    assert.equal(parseTransport('RTP/AVP/UDP;unicast;server_port=1-2', 'tcp').lower, 'udp');
  });
});

describe('RTSP Session header', () => {
  it('splits id and timeout', () => {
    assert.deepEqual(parseSession('66334873;timeout=30'), { id: '66334873', timeoutSec: 30 });
  });
  it('defaults the timeout to 60 s', () => {
    assert.deepEqual(parseSession('ABCDEF'), { id: 'ABCDEF', timeoutSec: 60 });
  });
  it('tolerates spaces', () => {
    assert.deepEqual(parseSession('12345 ; timeout = 5'), { id: '12345', timeoutSec: 5 });
  });
  it('returns undefined for a missing header', () => {
    assert.equal(parseSession(undefined), undefined);
    assert.equal(parseSession(''), undefined);
  });
});

describe('bindUdpPair', () => {
  it('binds an even RTP port with RTCP right above it, and releases both', async () => {
    const pair = await bindUdpPair('127.0.0.1');
    try {
      assert.equal(pair.ports[0] % 2, 0);
      assert.equal(pair.ports[1], pair.ports[0] + 1);
      assert.equal(pair.rtp.address().port, pair.ports[0]);
      assert.equal(pair.rtcp.address().port, pair.ports[1]);
    } finally {
      pair.close();
    }
    const again = await bindUdpPair('127.0.0.1');
    again.close();
  });
});
