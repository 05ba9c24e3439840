/** What the Home Assistant app hands to start.js must pass start.js's own environment checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTRACT_ENV, planLaunch } from '../../../nodes/lib/addon/launch.js';
import { readLaunchEnv } from '../../../nodes/lib/launch/env.js';
import type { Environment, LaunchConfig } from '../../../nodes/lib/launch/env.js';

function config(env: Environment): LaunchConfig {
  const checked = readLaunchEnv(env, { homeDir: '/home/pat', cwd: '/srv/work' });
  if (!checked.ok) assert.fail(checked.errors.join('\n'));
  return checked.config;
}

describe('the app → start.js contract', () => {
  it('accepts what the Home Assistant app hands over (nodes/lib/addon/launch.ts)', () => {
    const broker = { host: 'core-mosquitto', port: 1883, ssl: false, username: 'addons', password: 'pw', protocol: '3.1.1' };
    const plan = planLaunch(
      { cameras: [], log_level: 'warning', retention_raw_hours: 12, retention_minute_days: 3, retention_hour_days: 30, retention_day_days: 365 },
      broker,
      { dataDir: '/data/streampulse', streamsFile: '/data/streams.yaml' },
    );
    for (const key of Object.keys(plan.env)) assert.ok((CONTRACT_ENV as readonly string[]).includes(key) || key.startsWith('STREAMPULSE_RETENTION_'), key);
    const c = config(plan.env);
    assert.equal(c.port, 8099);
    assert.equal(c.dataDir, '/data/streampulse');
    assert.equal(c.streamsFile, '/data/streams.yaml');
    assert.equal(c.dbFile, '/data/streampulse/streampulse.db');
    assert.equal(c.mqttUrl, 'mqtt://core-mosquitto:1883');
    assert.equal(c.logLevel, 'warn');
    assert.deepEqual(c.allowedClients, ['172.30.32.2', '127.0.0.1', '::1']);
  });
});
