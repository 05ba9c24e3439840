import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BrokerOptionsError,
  describeBroker,
  parseBrokerSettings,
  toClientOptions,
} from '../../../nodes/lib/mqtt/broker-options.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
const SECRET = 'hunter2-Secret';

/** Asserts that parsing fails on `field` and that the message does not quote the secret. */
function rejects(input: unknown, field: string, pattern?: RegExp): void {
  let caught: unknown;
  try {
    parseBrokerSettings(input);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BrokerOptionsError, `expected a BrokerOptionsError, got ${String(caught)}`);
  assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.startsWith(`broker ${field}: `), caught.message);
  assert.ok(!caught.message.includes(SECRET), `password leaked: ${caught.message}`);
  if (pattern) assert.match(caught.message, pattern);
}

describe('parseBrokerSettings', () => {
  it('accepts a bare URL and fills the defaults', () => {
    assert.deepEqual(parseBrokerSettings({ url: ' mqtt://192.168.1.10:1883 ' }), {
      url: 'mqtt://192.168.1.10:1883',
      protocol: 'mqtt',
      rejectUnauthorized: true,
      keepaliveSec: 60,
    });
  });

  it('accepts the four schemes and keeps a websocket path', () => {
    for (const scheme of ['mqtt', 'mqtts', 'ws', 'wss']) {
      assert.equal(parseBrokerSettings({ url: `${scheme}://broker.lan` }).protocol, scheme);
    }
    assert.equal(parseBrokerSettings({ url: 'wss://broker.lan:8884/mqtt' }).url, 'wss://broker.lan:8884/mqtt');
  });

  it('treats empty strings as unset, as Node-RED editors send them', () => {
    const s = parseBrokerSettings({ url: 'mqtt://h', clientId: '', username: '', password: '', ca: '', keepaliveSec: '' });
    assert.deepEqual(s, { url: 'mqtt://h', protocol: 'mqtt', rejectUnauthorized: true, keepaliveSec: 60 });
  });

  it('moves credentials out of the URL', () => {
    const s = parseBrokerSettings({ url: `mqtt://ha%20user:${SECRET}@core-mosquitto:1883` });
    assert.equal(s.url, 'mqtt://core-mosquitto:1883');
    assert.equal(s.username, 'ha user');
    assert.equal(s.password, SECRET);
    assert.equal(describeBroker(s), 'mqtt://ha%20user@core-mosquitto:1883');
  });

  it('keeps spaces in a password (they may be part of it) but trims other text', () => {
    const s = parseBrokerSettings({ url: 'mqtt://h', username: ' ha ', password: ' p w ' });
    assert.equal(s.username, 'ha');
    assert.equal(s.password, ' p w ');
  });

  it('names the field for every bad value and never quotes the password', () => {
    rejects('mqtt://h', 'settings');
    rejects({}, 'url', /required/);
    rejects({ url: 'http://h' }, 'url', /mqtt:\/\//);
    rejects({ url: `not a url ${SECRET}`, password: SECRET, username: 'u' }, 'url', /not a URL/);
    rejects({ url: `mqtt://user:${SECRET}@` }, 'url');
    rejects({ url: `mqtt://user:${SECRET}@h`, username: 'u' }, 'url', /fields/);
    rejects({ url: 'mqtt://h', password: SECRET }, 'username', /required/);
    rejects({ url: 'mqtt://h', username: 'u', password: 12345 }, 'password', /string, not number/);
    rejects({ url: 'mqtt://h', clientId: 'a#b' }, 'clientId');
    rejects({ url: 'mqtt://h', keepaliveSec: 70_000 }, 'keepaliveSec');
    rejects({ url: 'mqtt://h', keepaliveSec: -1 }, 'keepaliveSec');
    rejects({ url: 'mqtt://h', keepaliveSec: '1.5' }, 'keepaliveSec');
    rejects({ url: 'mqtts://h', rejectUnauthorized: 'false' }, 'rejectUnauthorized');
    rejects({ url: 'mqtt://h', ca: CERT }, 'ca', /TLS URL/);
    rejects({ url: 'mqtts://h', ca: '/etc/ssl/ca.pem' }, 'ca', /PEM/);
    rejects({ url: 'mqtts://h', cert: CERT }, 'key', /both/);
    rejects({ url: 'mqtts://h', key: KEY }, 'cert', /both/);
    rejects({ url: 'mqtts://h', cert: CERT, key: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n' }, 'key', /encrypted/);
    rejects({ url: 'mqtt://h', pasword: SECRET }, 'pasword', /unknown/);
  });

  it('accepts a keep-alive given as text and 0 (off)', () => {
    assert.equal(parseBrokerSettings({ url: 'mqtt://h', keepaliveSec: '30' }).keepaliveSec, 30);
    assert.equal(parseBrokerSettings({ url: 'mqtt://h', keepaliveSec: 0 }).keepaliveSec, 0);
  });

  it('accepts TLS material on a TLS URL and the insecure option', () => {
    const s = parseBrokerSettings({ url: 'mqtts://h:8883', ca: CERT, cert: CERT, key: KEY, rejectUnauthorized: false });
    assert.equal(s.ca, CERT);
    assert.equal(s.key, KEY);
    assert.equal(s.rejectUnauthorized, false);
  });
});

describe('toClientOptions', () => {
  it('maps the settings onto mqtt.js options', () => {
    const s = parseBrokerSettings({ url: 'mqtts://h', clientId: 'sp-1', username: 'u', password: SECRET, ca: CERT, keepaliveSec: 15 });
    assert.deepEqual(toClientOptions(s), {
      clientId: 'sp-1',
      keepalive: 15,
      clean: true,
      rejectUnauthorized: true,
      username: 'u',
      password: SECRET,
      ca: CERT,
    });
  });

  it('makes a random client id per instance when none is set', () => {
    const s = parseBrokerSettings({ url: 'mqtt://h' });
    const a = toClientOptions(s).clientId;
    const b = toClientOptions(s).clientId;
    assert.match(a ?? '', /^streampulse_[0-9a-f]{8}$/);
    assert.notEqual(a, b);
  });
});
