import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { Authenticator, describeChallenges, parseChallenges } from '../../../nodes/lib/probe/auth.js';
import { ProbeError } from '../../../nodes/lib/util/errors.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Picks one parameter out of an Authorization value (test-side parser, independent of auth.ts). */
function param(header: string, name: string): string | undefined {
  const m = new RegExp(`[ ,]${name}=("((?:[^"\\\\]|\\\\.)*)"|[^,]*)`).exec(header);
  if (!m) return undefined;
  return m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[1];
}

describe('parseChallenges', () => {
  it('parses several challenges in one header and across headers', () => {
    const c = parseChallenges([
      'Basic realm="cam, the front one", Digest realm="IP Camera", nonce="abc\\"d,ef", qop="auth,auth-int", algorithm=MD5',
      'DIGEST REALM="x", NONCE=n1, ALGORITHM=SHA-256',
    ]);
    assert.equal(c.length, 3);
    assert.deepEqual(c[0], { scheme: 'basic', params: { realm: 'cam, the front one' } });
    assert.equal(c[1]?.scheme, 'digest');
    assert.deepEqual(c[1]?.params, { realm: 'IP Camera', nonce: 'abc"d,ef', qop: 'auth,auth-int', algorithm: 'MD5' });
    assert.deepEqual(c[2], { scheme: 'digest', params: { realm: 'x', nonce: 'n1', algorithm: 'SHA-256' } });
  });

  it('keeps token68 challenges apart from parameters', () => {
    const c = parseChallenges(['Negotiate YIIB==, Basic realm=simple', 'NTLM']);
    assert.deepEqual(c, [
      { scheme: 'negotiate', params: {}, token68: 'YIIB==' },
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'ntlm', params: {} },
    ]);
  });

  it('tolerates spaces around "=", empty headers and an unterminated quote', () => {
    const c = parseChallenges(['', ' ,  Digest realm = "r" , nonce="n', 'Basic']);
    assert.deepEqual(c, [
      { scheme: 'digest', params: { realm: 'r', nonce: 'n' } },
      { scheme: 'basic', params: {} },
    ]);
  });
});

describe('Authenticator', () => {
  it('answers the RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    const challenges = parseChallenges([
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    const auth = new Authenticator({ username: 'Mufasa', password: 'Circle Of Life' }, challenges, () => '0a4f113b');
    const h = auth.authorization('GET', '/dir/index.html');
    assert.match(h, /^Digest /);
    assert.equal(param(h, 'response'), '6629fae49393a05397450978507c4ef1');
    assert.equal(param(h, 'nc'), '00000001');
    assert.equal(param(h, 'qop'), 'auth');
    assert.equal(param(h, 'cnonce'), '0a4f113b');
    assert.equal(param(h, 'opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
    assert.equal(param(h, 'uri'), '/dir/index.html');
    assert.equal(param(h, 'algorithm'), undefined, 'no algorithm offered, none echoed');
  });

  const rfc7616 = (algorithm: string): string =>
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
  const cnonce = (): string => 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
  const mufasa = { username: 'Mufasa', password: 'Circle of Life' };

  it('answers the RFC 7616 §3.9.1 SHA-256 example and prefers SHA-256 over MD5', () => {
    const auth = new Authenticator(mufasa, parseChallenges([rfc7616('MD5'), rfc7616('SHA-256')]), cnonce);
    assert.equal(auth.scheme, 'Digest SHA-256');
    const h = auth.authorization('GET', '/dir/index.html');
    assert.equal(param(h, 'response'), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(param(h, 'algorithm'), 'SHA-256');
    assert.equal(param(h, 'opaque'), 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
  });

  it('answers the RFC 7616 §3.9.1 MD5 example', () => {
    const auth = new Authenticator(mufasa, parseChallenges([rfc7616('MD5')]), cnonce);
    const h = auth.authorization('GET', '/dir/index.html');
    assert.equal(param(h, 'response'), '8ca523f5e9506fed4657c9700eebdbec');
    assert.equal(param(h, 'algorithm'), 'MD5');
  });

  it('counts nc up and draws a fresh cnonce for each request', () => {
    const auth = new Authenticator(mufasa, parseChallenges([rfc7616('MD5')]));
    const a = auth.authorization('GET', '/x');
    const b = auth.authorization('GET', '/x');
    assert.equal(param(a, 'nc'), '00000001');
    assert.equal(param(b, 'nc'), '00000002');
    assert.notEqual(param(a, 'cnonce'), param(b, 'cnonce'));
    assert.notEqual(param(a, 'response'), param(b, 'response'));
  });

  it('answers legacy Digest without qop (RFC 2069 form: no nc, no cnonce)', () => {
    const auth = new Authenticator(mufasa, parseChallenges(['Digest realm="r", nonce="n"']));
    const h = auth.authorization('DESCRIBE', 'rtsp://cam/stream');
    // MD5(MD5(Mufasa:r:Circle of Life):n:MD5(DESCRIBE:rtsp://cam/stream)), computed independently below.
    assert.equal(param(h, 'response'), md5(`${md5('Mufasa:r:Circle of Life')}:n:${md5('DESCRIBE:rtsp://cam/stream')}`));
    assert.equal(param(h, 'nc'), undefined);
    assert.equal(param(h, 'cnonce'), undefined);
    assert.equal(param(h, 'qop'), undefined);
  });

  it('answers MD5-sess with one session cnonce', () => {
    let n = 0;
    const auth = new Authenticator(mufasa, parseChallenges(['Digest realm="r", nonce="n", qop="auth", algorithm=MD5-sess']), () => `c${++n}`);
    const h1 = auth.authorization('GET', '/a');
    const h2 = auth.authorization('GET', '/a');
    assert.equal(param(h1, 'cnonce'), 'c1');
    assert.equal(param(h2, 'cnonce'), 'c1');
    const ha1 = md5(`${md5('Mufasa:r:Circle of Life')}:n:c1`);
    assert.equal(param(h2, 'response'), md5(`${ha1}:n:00000002:c1:auth:${md5('GET:/a')}`));
    assert.equal(param(h2, 'algorithm'), 'MD5-sess');
  });

  it('answers Basic with UTF-8 and escapes quotes in a Digest username', () => {
    const basic = new Authenticator({ username: 'Aladdin', password: 'open sesame' }, parseChallenges(['Basic realm="WallyWorld"']));
    assert.equal(basic.authorization('GET', '/'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    const digest = new Authenticator({ username: 'a"b\\c', password: 'p' }, parseChallenges(['Digest realm="r", nonce="n"']));
    assert.match(digest.authorization('GET', '/'), /username="a\\"b\\\\c"/);
  });

  it('prefers Digest over Basic and skips auth-int-only and unknown algorithms', () => {
    const challenges = parseChallenges([
      'Basic realm="r"',
      'Digest realm="r", nonce="n1", qop="auth-int", algorithm=SHA-256',
      'Digest realm="r", nonce="n2", algorithm=SHA3-512',
      'Digest realm="r", nonce="n3", qop="auth"',
    ]);
    const auth = new Authenticator(mufasa, challenges);
    assert.equal(auth.scheme, 'Digest MD5');
    assert.equal(param(auth.authorization('GET', '/'), 'nonce'), 'n3');
    assert.equal(auth.describeChallenges(), 'Basic, Digest SHA-256 (auth-int), Digest SHA3-512, Digest MD5');
  });

  it('says clearly when nothing can be answered, and canAnswer agrees', () => {
    const only = parseChallenges(['Digest realm="r", nonce="n", qop="auth-int"', 'Negotiate']);
    assert.equal(Authenticator.canAnswer(only), false);
    assert.equal(Authenticator.canAnswer(parseChallenges(['Basic realm="x"'])), true);
    const auth = new Authenticator({ username: 'u', password: 's3cret' }, only);
    assert.throws(
      () => auth.authorization('GET', '/'),
      (err: unknown) => err instanceof ProbeError && err.code === 'auth_failed' && /auth-int/.test(err.message) && !err.message.includes('s3cret'),
    );
  });

  it('never shows the password, in clear or base64, except in the Basic value', () => {
    const creds = { username: 'admin', password: 's3cret' };
    const b64 = Buffer.from('admin:s3cret').toString('base64');
    for (const header of ['Digest realm="r", nonce="n", qop="auth", opaque="o"', 'Basic realm="r"']) {
      const auth = new Authenticator(creds, parseChallenges([header]));
      const shown = [inspect(auth, { showHidden: true, depth: 5 }), JSON.stringify(auth), `${Object.entries(auth).join()}`, auth.describeChallenges(), auth.scheme ?? ''].join('\n');
      assert.ok(!shown.includes('s3cret'), shown);
      assert.ok(!shown.includes(b64), shown);
      const value = auth.authorization('GET', '/');
      if (header.startsWith('Digest')) assert.ok(!value.includes('s3cret') && !value.includes(b64));
    }
  });

  it('describes challenges for messages', () => {
    assert.equal(describeChallenges([]), 'no challenge');
    assert.equal(describeChallenges(parseChallenges(['Digest realm="a", nonce="b", algorithm=SHA-256', 'Basic realm="a"'])), 'Digest SHA-256, Basic');
  });
});
