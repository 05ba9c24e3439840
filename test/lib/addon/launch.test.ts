/** planLaunch: the environment start.js gets, the streams text, and the log lines (never a password). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamsConfig } from '../../../nodes/lib/config/index.js';
import { childEnvironment, INGRESS_PORT, mqttUrl, planLaunch } from '../../../nodes/lib/addon/launch.js';
import type { AddonOptions } from '../../../nodes/lib/addon/options.js';
import type { MqttService } from '../../../nodes/lib/addon/supervisor.js';

const PATHS = { dataDir: '/data/streampulse', streamsFile: '/data/streams.yaml' };
const BROKER: MqttService = { host: 'core-mosquitto', port: 1883, ssl: false, username: 'addons', password: 'br0ker-secret', protocol: '3.1.1' };
const OPTIONS: AddonOptions = { cameras: [{ name: 'Door', url: 'rtsp://192.0.2.1/x', username: 'admin', password: 'cam-secret' }] };

describe('planLaunch', () => {
  it('hands start.js the paths, the ingress port and the broker', () => {
    const plan = planLaunch(OPTIONS, BROKER, PATHS);
    assert.deepEqual(plan.env, {
      STREAMPULSE_DATA: '/data/streampulse',
      STREAMPULSE_STREAMS: '/data/streams.yaml',
      PORT: String(INGRESS_PORT),
      STREAMPULSE_ALLOWED_CLIENTS: '172.30.32.2,127.0.0.1,::1',
      MQTT_URL: 'mqtt://core-mosquitto:1883',
      MQTT_USERNAME: 'addons',
      MQTT_PASSWORD: 'br0ker-secret',
    });
    assert.equal(INGRESS_PORT, 8099);
  });

  it('turns publishing off, with a line saying how to fix it, when there is no broker', () => {
    const plan = planLaunch(OPTIONS, undefined, PATHS);
    assert.deepEqual(Object.keys(plan.env).filter((k) => k.startsWith('MQTT_')), []);
    assert.ok(plan.notes.some((n) => /no broker .* publishing to Home Assistant is off/.test(n) && n.includes('Mosquitto')), plan.notes.join('\n'));
  });

  it('maps the log level and passes only the retention values the user set', () => {
    const plan = planLaunch({ ...OPTIONS, log_level: 'warning', retention_raw_hours: 12, retention_day_days: 400, retention_outage_days: 90 }, undefined, PATHS);
    assert.equal(plan.env.STREAMPULSE_LOG_LEVEL, 'warn');
    assert.equal(plan.env.STREAMPULSE_RETENTION_RAW_HOURS, '12');
    assert.equal(plan.env.STREAMPULSE_RETENTION_DAY_DAYS, '400');
    assert.equal(plan.env.STREAMPULSE_RETENTION_OUTAGE_DAYS, '90');
    assert.equal(plan.env.STREAMPULSE_RETENTION_MINUTE_DAYS, undefined);
    assert.equal(planLaunch({ ...OPTIONS, log_level: 'notice' }, undefined, PATHS).env.STREAMPULSE_LOG_LEVEL, 'info');
    assert.equal(planLaunch(OPTIONS, undefined, PATHS).env.STREAMPULSE_LOG_LEVEL, undefined);
    assert.equal(planLaunch(OPTIONS, undefined, PATHS).env.STREAMPULSE_HTTP_ROOT, undefined);
  });

  it('writes a streams file the product accepts, with the camera password in it', () => {
    const plan = planLaunch(OPTIONS, BROKER, PATHS, { timezone: 'America/New_York' });
    const parsed = parseStreamsConfig(plan.streamsYaml, PATHS.streamsFile, {});
    assert.ok(parsed.ok);
    if (!parsed.ok) return;
    assert.equal(parsed.config.streams[0]?.password, 'cam-secret');
    assert.equal(parsed.config.timezone, 'America/New_York');
  });

  it('leaves out a TZ that is not an IANA name, and says so', () => {
    const plan = planLaunch(OPTIONS, undefined, PATHS, { timezone: 'Mars/Olympus' });
    assert.ok(!plan.streamsYaml.includes('timezone'));
    assert.ok(plan.notes.some((n) => n.includes('"Mars/Olympus" is not an IANA name')));
  });

  it('never puts a password into a log line', () => {
    for (const broker of [BROKER, undefined]) {
      const notes = planLaunch(OPTIONS, broker, PATHS).notes.join('\n');
      assert.ok(!notes.includes('br0ker-secret') && !notes.includes('cam-secret'), notes);
    }
  });

  it('counts the cameras, and says what to do when there are none', () => {
    assert.ok(planLaunch(OPTIONS, undefined, PATHS).notes.includes('1 camera configured'));
    assert.ok(planLaunch({ cameras: [] }, undefined, PATHS).notes.some((n) => n.startsWith('No cameras configured yet')));
  });
});

describe('mqttUrl', () => {
  it('picks the scheme from ssl and brackets IPv6 hosts', () => {
    assert.equal(mqttUrl({ host: '172.30.33.4', port: 8883, ssl: true }), 'mqtts://172.30.33.4:8883');
    assert.equal(mqttUrl({ host: 'fd00::4', port: 1883, ssl: false }), 'mqtt://[fd00::4]:1883');
    assert.equal(new URL(mqttUrl({ host: 'fd00::4', port: 1883, ssl: false })).port, '1883');
  });
});

describe('childEnvironment', () => {
  it('keeps the container environment but not the Supervisor token, the CLI settings or stale contract variables', () => {
    const env = childEnvironment(
      { PATH: '/usr/bin', TZ: 'Europe/Berlin', SUPERVISOR_TOKEN: 'tok', HASSIO_TOKEN: 'tok', MQTT_URL: 'mqtt://stale', MQTT_PASSWORD: 'stale', HOST: '10.0.0.1', STREAMPULSE_START_SCRIPT: '/x.js' },
      { PORT: '8099', STREAMPULSE_DATA: '/data/streampulse' },
    );
    assert.deepEqual(env, { PATH: '/usr/bin', TZ: 'Europe/Berlin', PORT: '8099', STREAMPULSE_DATA: '/data/streampulse' });
  });
});
