/** readLaunchEnv: defaults, every variable's check (one line naming it), and the HA app's contract. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readLaunchEnv, RETENTION_ENV } from '../../../nodes/lib/launch/env.js';
import type { EnvCheck, Environment, LaunchConfig } from '../../../nodes/lib/launch/env.js';

const CONTEXT = { homeDir: '/home/pat', cwd: '/srv/work' };

function config(env: Environment): LaunchConfig {
  const check = readLaunchEnv(env, CONTEXT);
  assert.ok(check.ok, `expected ok, got ${JSON.stringify(check)}`);
  return check.config;
}

function errors(env: Environment): string[] {
  const check: EnvCheck = readLaunchEnv(env, CONTEXT);
  assert.ok(!check.ok, 'expected errors');
  return check.errors;
}

describe('readLaunchEnv', () => {
  it('has working defaults with an empty environment', () => {
    const check = readLaunchEnv({}, CONTEXT);
    assert.ok(check.ok);
    assert.deepEqual(check.config, {
      dataDir: '/home/pat/.streampulse',
      streamsFile: '/home/pat/.streampulse/streams.yaml',
      dbFile: '/home/pat/.streampulse/streampulse.db',
      port: 1880,
      host: undefined,
      httpRoot: '/',
      logLevel: 'info',
      mqttUrl: undefined,
      allowedClients: undefined,
      admin: undefined,
      credentialSecret: undefined,
    });
    // Open to the network without a login: said at start.
    assert.ok(check.warnings.some((w) => w.includes('STREAMPULSE_ADMIN_USER')), check.warnings.join('\n'));
  });

  it('resolves paths: data against the working directory, files against the data directory, ~ as home', () => {
    assert.equal(config({ STREAMPULSE_DATA: 'state' }).dataDir, '/srv/work/state');
    assert.equal(config({ STREAMPULSE_DATA: '~/sp' }).dataDir, '/home/pat/sp');
    const c = config({ STREAMPULSE_DATA: '/var/lib/sp/', STREAMPULSE_STREAMS: 'cams/list.yaml', STREAMPULSE_DB: '/mnt/ssd/../ssd/h.db' });
    assert.equal(c.dataDir, '/var/lib/sp');
    assert.equal(c.streamsFile, '/var/lib/sp/cams/list.yaml');
    assert.equal(c.dbFile, '/mnt/ssd/h.db');
    // Blank counts as unset (`-e MQTT_URL=` in Docker, an empty line in an .env file).
    assert.equal(config({ STREAMPULSE_DATA: '  ', MQTT_URL: '' }).dataDir, '/home/pat/.streampulse');
  });

  it('rejects a bad PORT, naming it', () => {
    for (const bad of ['0', '65536', 'http', '80a', '-1', '1e3']) {
      assert.deepEqual(errors({ PORT: bad }), [`PORT: "${bad}" is not a port number (1 to 65535)`]);
    }
    assert.equal(config({ PORT: ' 8099 ' }).port, 8099);
  });

  it('checks HOST, STREAMPULSE_HTTP_ROOT and STREAMPULSE_LOG_LEVEL', () => {
    assert.equal(config({ HOST: '127.0.0.1' }).host, '127.0.0.1');
    assert.equal(config({ HOST: '[::1]' }).host, '::1');
    assert.equal(config({ HOST: 'nas.local' }).host, 'nas.local');
    assert.match(errors({ HOST: 'http://nas:1880' })[0] ?? '', /^HOST: "http:\/\/nas:1880" is not an IP address or host name$/);
    assert.equal(config({ STREAMPULSE_HTTP_ROOT: 'nodered' }).httpRoot, '/nodered/');
    assert.equal(config({ STREAMPULSE_HTTP_ROOT: '/a/b/' }).httpRoot, '/a/b/');
    assert.equal(config({ STREAMPULSE_HTTP_ROOT: '/' }).httpRoot, '/');
    for (const bad of ['/a b', '/../etc', '/a?x=1']) assert.match(errors({ STREAMPULSE_HTTP_ROOT: bad })[0] ?? '', /^STREAMPULSE_HTTP_ROOT: /);
    assert.equal(config({ STREAMPULSE_LOG_LEVEL: 'DEBUG' }).logLevel, 'debug');
    assert.equal(config({ STREAMPULSE_LOG_LEVEL: 'warning' }).logLevel, 'warn');
    assert.match(errors({ STREAMPULSE_LOG_LEVEL: 'loud' })[0] ?? '', /^STREAMPULSE_LOG_LEVEL: "loud" is not one of off, fatal, error, warn, info, debug, trace$/);
  });

  it('checks the broker variables without ever quoting the password', () => {
    assert.equal(config({ MQTT_URL: 'mqtt://192.168.1.2:1883', MQTT_USERNAME: 'sp', MQTT_PASSWORD: 'pw' }).mqttUrl, 'mqtt://192.168.1.2:1883');
    assert.match(errors({ MQTT_URL: 'ftp://broker' })[0] ?? '', /^MQTT_URL: scheme "ftp:" is not supported/);
    assert.match(errors({ MQTT_URL: 'broker:1883' })[0] ?? '', /^MQTT_URL: /);
    const both = errors({ MQTT_URL: 'mqtt://u:hunter22@broker', MQTT_USERNAME: 'u' });
    assert.match(both[0] ?? '', /^MQTT_URL: has credentials and the username\/password fields are set too/);
    assert.ok(!both.join('\n').includes('hunter22'));
    assert.match(errors({ MQTT_URL: 'mqtt://broker', MQTT_PASSWORD: 'hunter22' })[0] ?? '', /^MQTT_USERNAME: is required when a password is set$/);
    const check = readLaunchEnv({ MQTT_PASSWORD: 'x', MQTT_USERNAME: 'u' }, CONTEXT);
    assert.ok(check.ok && check.warnings.some((w) => /MQTT_URL is not: publishing is off/.test(w)));
  });

  it('checks the retention variables the store reads', () => {
    assert.ok(readLaunchEnv({ STREAMPULSE_RETENTION_RAW_HOURS: '12', STREAMPULSE_RETENTION_DAY_DAYS: '400.5' }, CONTEXT).ok);
    for (const name of RETENTION_ENV) {
      assert.deepEqual(errors({ [name]: 'two' }), [`${name}: "two" is not a positive number`]);
      assert.deepEqual(errors({ [name]: '0' }), [`${name}: "0" is not a positive number`]);
    }
  });

  it('parses STREAMPULSE_ALLOWED_CLIENTS and names a bad entry', () => {
    assert.deepEqual(config({ STREAMPULSE_ALLOWED_CLIENTS: '172.30.32.2, 127.0.0.1,::1 192.168.1.0/24' }).allowedClients, [
      '172.30.32.2', '127.0.0.1', '::1', '192.168.1.0/24',
    ]);
    assert.deepEqual(errors({ STREAMPULSE_ALLOWED_CLIENTS: '127.0.0.1,homeassistant' }), [
      'STREAMPULSE_ALLOWED_CLIENTS: "homeassistant" is not an IP address or subnet',
    ]);
    // With a client list the "open to everyone" warning is gone.
    const check = readLaunchEnv({ STREAMPULSE_ALLOWED_CLIENTS: '127.0.0.1' }, CONTEXT);
    assert.ok(check.ok && !check.warnings.some((w) => w.includes('without a login')));
  });

  it('wants the admin user and password together', () => {
    assert.deepEqual(config({ STREAMPULSE_ADMIN_USER: 'pat', STREAMPULSE_ADMIN_PASSWORD: ' long enough ' }).admin, { user: 'pat', password: ' long enough ' });
    assert.deepEqual(errors({ STREAMPULSE_ADMIN_USER: 'pat' }), ['STREAMPULSE_ADMIN_PASSWORD: is required when STREAMPULSE_ADMIN_USER is set']);
    assert.deepEqual(errors({ STREAMPULSE_ADMIN_PASSWORD: 'secret-pw' }), ['STREAMPULSE_ADMIN_USER: is required when STREAMPULSE_ADMIN_PASSWORD is set']);
    assert.match(errors({ STREAMPULSE_ADMIN_USER: 'a:b', STREAMPULSE_ADMIN_PASSWORD: 'secret-pw' })[0] ?? '', /^STREAMPULSE_ADMIN_USER: must not contain/);
    const short = readLaunchEnv({ STREAMPULSE_ADMIN_USER: 'pat', STREAMPULSE_ADMIN_PASSWORD: 'abc' }, CONTEXT);
    assert.ok(short.ok && short.warnings.some((w) => w.startsWith('STREAMPULSE_ADMIN_PASSWORD: shorter than 8')));
    assert.ok(!JSON.stringify(short.warnings).includes('abc'));
  });

  it('reports every problem at once', () => {
    const all = errors({ PORT: 'x', HOST: 'a b', STREAMPULSE_LOG_LEVEL: 'x', STREAMPULSE_ALLOWED_CLIENTS: 'x' });
    assert.deepEqual(all.map((e) => e.split(':')[0]), ['PORT', 'HOST', 'STREAMPULSE_LOG_LEVEL', 'STREAMPULSE_ALLOWED_CLIENTS']);
  });

});
