/** STREAMPULSE_ALLOWED_CLIENTS: parsing, address spellings, the gate and its middleware. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientGate, gateMiddleware, normaliseAddress, parseAllowedClients } from '../../../nodes/lib/launch/allowed-clients.js';

describe('parseAllowedClients', () => {
  it('takes IPv4, IPv6 and subnets separated by commas or spaces', () => {
    assert.deepEqual(parseAllowedClients('172.30.32.2,127.0.0.1,::1'), { ok: true, entries: ['172.30.32.2', '127.0.0.1', '::1'] });
    assert.deepEqual(parseAllowedClients(' 10.0.0.0/8  fd00::/8,'), { ok: true, entries: ['10.0.0.0/8', 'fd00::/8'] });
    // One spelling per address: mapped IPv4 as IPv4, IPv6 canonical.
    assert.deepEqual(parseAllowedClients('::FFFF:172.30.32.2,0:0:0:0:0:0:0:1'), { ok: true, entries: ['172.30.32.2', '::1'] });
  });

  it('names every bad entry', () => {
    assert.deepEqual(parseAllowedClients('1.2.3.4,localhost,10.0.0.0/33,1.2.3.4/8/9,::1/129'), {
      ok: false,
      errors: [
        '"localhost" is not an IP address or subnet',
        '"10.0.0.0/33" has a prefix length outside 0..32',
        '"1.2.3.4/8/9" is not an IP address or subnet',
        '"::1/129" has a prefix length outside 0..128',
      ],
    });
    assert.deepEqual(parseAllowedClients(' , '), { ok: false, errors: ['lists no address (leave it unset to allow everyone)'] });
  });
});

describe('normaliseAddress', () => {
  it('treats ::ffff:a.b.c.d as a.b.c.d, in either spelling', () => {
    assert.equal(normaliseAddress('::ffff:172.30.32.2'), '172.30.32.2');
    assert.equal(normaliseAddress('::ffff:ac1e:2002'), '172.30.32.2');
    assert.equal(normaliseAddress('[::ffff:127.0.0.1]'), '127.0.0.1');
    assert.equal(normaliseAddress('2001:DB8:0:0::1'), '2001:db8::1');
    assert.equal(normaliseAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(normaliseAddress('not-an-ip'), undefined);
    assert.equal(normaliseAddress(undefined), undefined);
  });
});

describe('ClientGate', () => {
  const gate = new ClientGate(['172.30.32.2', '127.0.0.1', '::1', '192.168.1.0/24']);

  it('lets the listed peers through, however the socket spells them', () => {
    for (const ok of ['172.30.32.2', '::ffff:172.30.32.2', '127.0.0.1', '::ffff:127.0.0.1', '::1', '192.168.1.77', '::ffff:192.168.1.200']) {
      assert.equal(gate.allows(ok), true, ok);
    }
  });

  it('refuses everyone else, and sockets without an address', () => {
    for (const no of ['172.30.32.3', '::ffff:10.9.9.9', '192.168.2.1', '::2', '127.0.0.2', undefined, '']) {
      assert.equal(gate.allows(no), false, String(no));
    }
  });
});

describe('gateMiddleware', () => {
  function call(middleware: ReturnType<typeof gateMiddleware>, remoteAddress: string): { passed: boolean; status: number; body: string } {
    let passed = false;
    const res = { statusCode: 200, body: '', headers: new Map<string, string>(), setHeader(n: string, v: string) { this.headers.set(n, v); }, end(b?: string) { this.body = b ?? ''; } };
    middleware({ socket: { remoteAddress } }, res, () => (passed = true));
    return { passed, status: res.statusCode, body: res.body };
  }

  it('answers 403 to others and reports each refused address once', () => {
    const refused: string[] = [];
    const middleware = gateMiddleware(new ClientGate(['127.0.0.1']), (a) => refused.push(a));
    assert.deepEqual(call(middleware, '::ffff:127.0.0.1'), { passed: true, status: 200, body: '' });
    assert.deepEqual(call(middleware, '::ffff:10.9.9.9'), { passed: false, status: 403, body: '403 Forbidden\n' });
    call(middleware, '10.9.9.9');
    call(middleware, '10.9.9.8');
    assert.deepEqual(refused, ['10.9.9.9', '10.9.9.8']);
  });
});
