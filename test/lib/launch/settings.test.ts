/** Node-RED settings from the environment: the pure builder, and flows/settings.js run as Node-RED would load it. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLaunchEnv } from '../../../nodes/lib/launch/env.js';
import type { LaunchConfig } from '../../../nodes/lib/launch/env.js';
import { findNodeRed, loadBcrypt } from '../../../nodes/lib/launch/node-red-home.js';
import { buildNodeRedSettings, NODE_CLOSE_TIMEOUT_MS } from '../../../nodes/lib/launch/settings.js';

const REPO = join(__dirname, '..', '..', '..', '..');
const SETTINGS_JS = join(REPO, 'flows', 'settings.js');

function launchConfig(env: Record<string, string>): LaunchConfig {
  const check = readLaunchEnv(env, { homeDir: '/home/pat', cwd: '/' });
  assert.ok(check.ok, JSON.stringify(check));
  return check.config;
}

describe('buildNodeRedSettings', () => {
  const hashPassword = (password: string): string => `hashed(${password.length})`;

  it('maps the environment onto Node-RED settings', () => {
    const settings = buildNodeRedSettings(
      launchConfig({ STREAMPULSE_DATA: '/var/lib/sp', PORT: '8099', HOST: '127.0.0.1', STREAMPULSE_HTTP_ROOT: '/nr', STREAMPULSE_LOG_LEVEL: 'debug', STREAMPULSE_CREDENTIAL_SECRET: 'k' }),
      { packageRoot: '/opt/streampulse', hashPassword },
    );
    assert.equal(settings.userDir, '/var/lib/sp');
    assert.equal(settings.flowFile, 'flows.json');
    assert.deepEqual(settings.nodesDir, ['/opt/streampulse']);
    assert.equal(settings.uiPort, 8099);
    assert.equal(settings.uiHost, '127.0.0.1');
    assert.equal(settings.httpAdminRoot, '/nr/');
    assert.equal(settings.httpNodeRoot, '/nr/');
    assert.equal(settings.credentialSecret, 'k');
    assert.deepEqual(settings.logging, { console: { level: 'debug', metrics: false, audit: false } });
    assert.equal(settings.nodeCloseTimeout, NODE_CLOSE_TIMEOUT_MS);
    assert.ok(NODE_CLOSE_TIMEOUT_MS < 5000, 'a node that hangs on close must not hold the stop past 5 s');
    assert.equal(settings.adminAuth, undefined);
    assert.equal(settings.httpNodeAuth, undefined);
    assert.equal(settings.httpAdminMiddleware, undefined);
    assert.ok(!('uiHost' in buildNodeRedSettings(launchConfig({}), { packageRoot: '/p', hashPassword })), 'no HOST: Node-RED picks');
  });

  it('puts the editor and the flows\' HTTP behind one login, storing only the hash', () => {
    const settings = buildNodeRedSettings(launchConfig({ STREAMPULSE_ADMIN_USER: 'pat', STREAMPULSE_ADMIN_PASSWORD: 'long password' }), { packageRoot: '/p', hashPassword });
    assert.deepEqual(settings.adminAuth, { type: 'credentials', users: [{ username: 'pat', password: 'hashed(13)', permissions: '*' }] });
    assert.deepEqual(settings.httpNodeAuth, { user: 'pat', pass: 'hashed(13)' });
    assert.ok(!JSON.stringify(settings).includes('long password'));
  });

  it('guards the admin and node apps and WebSocket nodes with the client list', () => {
    const refused: string[] = [];
    const settings = buildNodeRedSettings(launchConfig({ STREAMPULSE_ALLOWED_CLIENTS: '172.30.32.2,127.0.0.1' }), {
      packageRoot: '/p', hashPassword, onRefused: (a) => refused.push(a),
    });
    assert.equal(settings.httpAdminMiddleware, settings.httpNodeMiddleware);
    const middleware = settings.httpAdminMiddleware;
    assert.ok(middleware);
    const res = { statusCode: 200, setHeader: () => undefined, end: () => undefined };
    let passed = 0;
    middleware({ socket: { remoteAddress: '::ffff:172.30.32.2' } }, res, () => passed++);
    middleware({ socket: { remoteAddress: '172.30.33.1' } }, res, () => passed++);
    assert.equal(passed, 1);
    assert.equal(res.statusCode, 403);
    assert.deepEqual(refused, ['172.30.33.1']);
    assert.equal(settings.webSocketNodeVerifyClient?.({ req: { socket: { remoteAddress: '127.0.0.1' } } }), true);
    assert.equal(settings.webSocketNodeVerifyClient?.({ req: { socket: { remoteAddress: '10.0.0.1' } } }), false);
  });
});

describe('flows/settings.js', { skip: findNodeRed(REPO) === undefined && 'node-red is not installed' }, () => {
  /** Loads the settings file in a fresh Node.js with exactly `env`, as Node-RED's red.js would. */
  const SCRIPT = `
    const s = require(process.argv[1]);
    console.log(JSON.stringify({
      settings: s,
      middleware: typeof s.httpAdminMiddleware,
      env: { data: process.env.STREAMPULSE_DATA, streams: process.env.STREAMPULSE_STREAMS, db: process.env.STREAMPULSE_DB,
             password: process.env.STREAMPULSE_ADMIN_PASSWORD === undefined ? 'gone' : 'still there' },
    }));`;

  it('builds the settings from the environment, exports the paths and drops the admin password', () => {
    const out = execFileSync(process.execPath, ['-e', SCRIPT, SETTINGS_JS], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: '/home/nobody',
        STREAMPULSE_DATA: '/tmp/streampulse-settings-test',
        STREAMPULSE_STREAMS: 'cams.yaml',
        PORT: '18999',
        STREAMPULSE_ADMIN_USER: 'pat',
        STREAMPULSE_ADMIN_PASSWORD: 'correct horse',
        STREAMPULSE_ALLOWED_CLIENTS: '127.0.0.1',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const loaded = JSON.parse(out) as {
      settings: { userDir: string; uiPort: number; nodesDir: string[]; adminAuth: { users: { password: string }[] }; httpNodeAuth: { pass: string } };
      middleware: string;
      env: Record<string, string>;
    };
    assert.equal(loaded.settings.userDir, '/tmp/streampulse-settings-test');
    assert.equal(loaded.settings.uiPort, 18999);
    assert.equal(loaded.middleware, 'function');
    assert.deepEqual(loaded.env, {
      data: '/tmp/streampulse-settings-test',
      streams: '/tmp/streampulse-settings-test/cams.yaml',
      db: '/tmp/streampulse-settings-test/streampulse.db',
      password: 'gone',
    });
    assert.ok(!out.includes('correct horse'));
    const hash = loaded.settings.adminAuth.users[0]?.password ?? '';
    assert.equal(loaded.settings.httpNodeAuth.pass, hash);
    const home = findNodeRed(REPO);
    assert.ok(home);
    const bcrypt = loadBcrypt(home);
    // The hash Node-RED will check the editor login against.
    return Promise.all([bcrypt.compare('correct horse', hash), bcrypt.compare('wrong horse', hash)]).then(([right, wrong]) => {
      assert.equal(right, true);
      assert.equal(wrong, false);
    });
  });

  it('refuses to load with a bad variable, naming it', () => {
    const r = spawnSync(process.execPath, ['-e', SCRIPT, SETTINGS_JS], {
      env: { PATH: process.env.PATH ?? '', HOME: '/home/nobody', PORT: 'eighty', MQTT_URL: 'mqtt://u:hunter22@h', MQTT_USERNAME: 'u' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /StreamPulse cannot start:\n {2}PORT: "eighty" is not a port number/);
    assert.match(r.stderr, /MQTT_URL: has credentials/);
    assert.ok(!r.stderr.includes('hunter22'));
  });
});
