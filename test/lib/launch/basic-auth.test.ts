/** HTTP Basic authentication for the flows' routes, checked with the real bcryptjs from Node-RED's tree. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { basicAuthMiddleware, parseBasicAuth } from '../../../nodes/lib/launch/basic-auth.js';
import type { AuthRequest } from '../../../nodes/lib/launch/basic-auth.js';
import { findNodeRed, loadBcrypt } from '../../../nodes/lib/launch/node-red-home.js';

const REPO = join(__dirname, '..', '..', '..', '..');
const header = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('parseBasicAuth', () => {
  it('splits at the first colon; the password may contain more (RFC 7617 §2)', () => {
    assert.deepEqual(parseBasicAuth(header('pat', 'a:b:c')), { user: 'pat', password: 'a:b:c' });
    assert.deepEqual(parseBasicAuth(`basic ${Buffer.from('pät:pw').toString('base64')}`), { user: 'pät', password: 'pw' });
    assert.equal(parseBasicAuth(undefined), undefined);
    assert.equal(parseBasicAuth('Bearer abc'), undefined);
    assert.equal(parseBasicAuth(`Basic ${Buffer.from('no-colon').toString('base64')}`), undefined);
  });
});

describe('basicAuthMiddleware', () => {
  const home = findNodeRed(REPO);
  const bcrypt = home === undefined ? undefined : loadBcrypt(home);

  async function run(middleware: ReturnType<typeof basicAuthMiddleware>, req: AuthRequest): Promise<{ passed: boolean; status: number; challenge?: string }> {
    return new Promise((resolve) => {
      const headers = new Map<string, string>();
      const res = {
        statusCode: 200,
        setHeader: (n: string, v: string) => headers.set(n, v),
        end: () => resolve({ passed: false, status: res.statusCode, ...(headers.has('WWW-Authenticate') && { challenge: headers.get('WWW-Authenticate') }) }),
      };
      middleware(req, res, () => resolve({ passed: true, status: res.statusCode }));
    });
  }

  it('accepts the right user and password against a bcrypt hash, and nothing else', { skip: bcrypt === undefined && 'node-red is not installed' }, async () => {
    assert.ok(bcrypt);
    const hash = bcrypt.hashSync('correct horse', 4);
    let checks = 0;
    const middleware = basicAuthMiddleware({
      user: 'pat',
      verify: (password) => {
        checks++;
        return bcrypt.compare(password, hash);
      },
    });
    const denied = await run(middleware, { method: 'GET', headers: {} });
    assert.deepEqual(denied, { passed: false, status: 401, challenge: 'Basic realm="StreamPulse", charset="UTF-8"' });
    assert.equal((await run(middleware, { method: 'GET', headers: { authorization: header('pat', 'wrong') } })).status, 401);
    assert.equal((await run(middleware, { method: 'GET', headers: { authorization: header('eve', 'correct horse') } })).status, 401);
    assert.equal(checks, 1, 'a wrong user is refused without a bcrypt round');
    assert.equal((await run(middleware, { method: 'GET', headers: { authorization: header('pat', 'correct horse') } })).passed, true);
    assert.equal((await run(middleware, { method: 'GET', headers: { authorization: header('pat', 'correct horse') } })).passed, true);
    assert.equal(checks, 2, 'the accepted password is remembered');
    // CORS preflights carry no credentials.
    assert.equal((await run(middleware, { method: 'OPTIONS', headers: {} })).passed, true);
  });

  it('refuses when the check itself fails', async () => {
    const middleware = basicAuthMiddleware({ user: 'pat', verify: () => Promise.reject(new Error('broken hash')) });
    assert.equal((await run(middleware, { method: 'GET', headers: { authorization: header('pat', 'x') } })).status, 401);
  });
});
