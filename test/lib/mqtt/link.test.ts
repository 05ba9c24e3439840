import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { parseBrokerSettings } from '../../../nodes/lib/mqtt/broker-options.js';
import { MqttLink, topicMatches } from '../../../nodes/lib/mqtt/link.js';
import type { MqttLinkOptions } from '../../../nodes/lib/mqtt/link.js';
import { mosquittoUnavailableReason, recordMessages, startMosquitto } from '../../fixtures/mosquitto.js';
import type { MosquittoBroker, RecordedMessage, Recorder } from '../../fixtures/mosquitto.js';
import { freePort } from '../../fixtures/ports.js';

const skip = mosquittoUnavailableReason();
const USER = 'streampulse';
const PASSWORD = 'Pa55-w0rd-never-shown';
const LINK_JS = join(__dirname, '../../../nodes/lib/mqtt/link.js');
const OPTIONS_JS = join(__dirname, '../../../nodes/lib/mqtt/broker-options.js');

type LinkExtras = Omit<MqttLinkOptions, 'broker' | 'availabilityTopic'>;

/** Links made by a test, closed in `after` whatever happened. */
class Links {
  private readonly all: MqttLink[] = [];
  make(raw: Record<string, unknown>, availabilityTopic: string, extras: LinkExtras = {}): MqttLink {
    const link = new MqttLink({
      broker: parseBrokerSettings(raw),
      availabilityTopic,
      backoff: { initialMs: 100, maxMs: 400 },
      connectTimeoutMs: 3_000,
      ...extras,
    });
    this.all.push(link);
    return link;
  }
  async closeAll(): Promise<void> {
    await Promise.all(this.all.map((l) => l.close()));
  }
}

function connected(link: MqttLink, timeoutMs = 10_000): Promise<void> {
  if (link.status().state === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      link.off('connect', onConnect);
      reject(new Error(`no connection within ${timeoutMs} ms: ${JSON.stringify(link.status())}`));
    }, timeoutMs);
    const onConnect = (): void => {
      clearTimeout(timer);
      resolve();
    };
    link.once('connect', onConnect);
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const has = (topic: string, payload: string) => (msgs: RecordedMessage[]) => msgs.some((m) => m.topic === topic && m.payload === payload);

describe('topicMatches', () => {
  it('follows the MQTT wildcard rules', () => {
    assert.ok(topicMatches('a/+/c', 'a/b/c'));
    assert.ok(!topicMatches('a/+/c', 'a/b/d'));
    assert.ok(!topicMatches('a/+', 'a/b/c'));
    assert.ok(topicMatches('a/#', 'a/b/c'));
    assert.ok(topicMatches('a/#', 'a'));
    assert.ok(topicMatches('#', 'x/y'));
    assert.ok(!topicMatches('#', '$SYS/broker'));
    assert.ok(!topicMatches('a/b', 'a/b/c'));
    assert.ok(topicMatches('homeassistant/status', 'homeassistant/status'));
  });
});

describe('MqttLink against Mosquitto (anonymous)', { skip }, () => {
  let broker: MosquittoBroker;
  const links = new Links();
  const recorders: Recorder[] = [];
  const record = async (topics: string[]): Promise<Recorder> => {
    const r = await recordMessages(broker.url(), topics);
    recorders.push(r);
    return r;
  };
  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await links.closeAll();
    await Promise.all(recorders.map((r) => r.close()));
    await broker?.dispose();
  });

  it('announces online on connect and the broker publishes the will when the process dies', async () => {
    const rec = await record(['lwt/status']);
    // A separate process, killed with SIGKILL: its socket closes without DISCONNECT, like a crash.
    const script = `
      const { MqttLink } = require(${JSON.stringify(LINK_JS)});
      const { parseBrokerSettings } = require(${JSON.stringify(OPTIONS_JS)});
      const link = new MqttLink({ broker: parseBrokerSettings({ url: process.argv[1] }), availabilityTopic: 'lwt/status' });
      link.on('connect', () => console.log('connected'));`;
    const child = spawn(process.execPath, ['-e', script, broker.url()], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('child did not connect')), 10_000);
        child.stdout.on('data', (b: Buffer) => {
          if (b.toString().includes('connected')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await rec.waitFor(has('lwt/status', 'online'));
      assert.deepEqual(rec.messages.find((m) => m.payload === 'online'), { topic: 'lwt/status', payload: 'online', retain: true, qos: 1 });
    } finally {
      child.kill('SIGKILL');
    }
    await rec.waitFor(has('lwt/status', 'offline'));
    assert.deepEqual(rec.messages.at(-1), { topic: 'lwt/status', payload: 'offline', retain: true, qos: 1 });
    const late = await record(['lwt/status']);
    await late.waitFor(has('lwt/status', 'offline')); // retained for whoever comes later
  });

  it('publishes a clean retained offline on close and then ignores publish()', async () => {
    const rec = await record(['close/#']);
    const link = links.make({ url: broker.url() }, 'close/status');
    const events: string[] = [];
    link.on('connect', () => events.push('connect'));
    link.on('disconnect', (reason) => events.push(`disconnect:${reason}`));
    await connected(link);
    link.publish({ topic: 'close/cam/state', payload: '{"state":"online"}', retain: true, qos: 1 });
    await rec.waitFor(has('close/cam/state', '{"state":"online"}'));
    const started = Date.now();
    await link.close();
    assert.ok(Date.now() - started < 2_500, 'close() is bounded');
    await rec.waitFor(has('close/status', 'offline'));
    assert.deepEqual(
      rec.messages.map((m) => `${m.topic}=${m.payload}`),
      ['close/status=online', 'close/cam/state={"state":"online"}', 'close/status=offline'],
    );
    assert.equal(link.status().state, 'disconnected');
    assert.deepEqual(events, ['connect', 'disconnect:closed']);
    link.publish({ topic: 'close/cam/state', payload: 'late', retain: true, qos: 1 });
    assert.equal(link.status().outbox.queued, 0);
    assert.equal(link.close(), link.close(), 'close() is idempotent');
  });

  it('rejects invalid topics synchronously instead of poisoning the session', () => {
    const link = links.make({ url: broker.url() }, 'bad/status');
    assert.throws(() => link.publish({ topic: 'a/+/b', payload: 'x', retain: false, qos: 1 }), TypeError);
    assert.throws(() => link.publish({ topic: '', payload: 'x', retain: false, qos: 1 }), TypeError);
    assert.throws(() => link.subscribe('a/#/b', () => undefined), TypeError);
    assert.throws(() => new MqttLink({ broker: parseBrokerSettings({ url: broker.url() }), availabilityTopic: 'x/#' }), TypeError);
  });

  it('collects the retained messages of a pattern within a bounded window', async () => {
    const publisher = await connectAsync(broker.url());
    try {
      await publisher.publishAsync('cr/device/a/config', '{"a":1}', { retain: true, qos: 1 });
      await publisher.publishAsync('cr/device/b/config', '{"b":1}', { retain: true, qos: 1 });
      await publisher.publishAsync('cr/device/c/config', 'gone', { retain: true, qos: 1 });
      await publisher.publishAsync('cr/device/c/config', '', { retain: true, qos: 1 }); // cleared
      await publisher.publishAsync('cr/other/x', 'no', { retain: true, qos: 1 });
    } finally {
      await publisher.endAsync();
    }
    const link = links.make({ url: broker.url() }, 'cr/status');
    // Asked before the connection is up: waits for it.
    const found = await link.collectRetained('cr/device/+/config', 300);
    assert.deepEqual(
      [...found].sort(([a], [b]) => a.localeCompare(b)),
      [
        ['cr/device/a/config', '{"a":1}'],
        ['cr/device/b/config', '{"b":1}'],
      ],
    );
  });
});

describe('MqttLink across a broker stop/start', { skip }, () => {
  let broker: MosquittoBroker;
  const links = new Links();
  const recorders: Recorder[] = [];
  const clients: MqttClient[] = [];
  before(async () => {
    broker = await startMosquitto({ persistence: true });
  });
  after(async () => {
    await links.closeAll();
    await Promise.all(recorders.map((r) => r.close()));
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker?.dispose();
  });

  it('loses no state change: the outage is queued and delivered in order with the latest retained states', async () => {
    // A persistent session: what is published while the recorder itself reconnects waits for it.
    const rec = await recordMessages(broker.url(), ['nl/#'], { persistentId: 'nl-recorder' });
    recorders.push(rec);
    const errors: string[] = [];
    const link = links.make({ url: broker.url() }, 'nl/status', { onError: (e) => errors.push(e) });
    await connected(link);
    const state = (cam: number, seq: number): string => JSON.stringify({ cam, seq, state: seq % 3 === 0 ? 'offline' : 'online' });
    for (let seq = 1; seq <= 5; seq++) link.publish({ topic: 'nl/cam1/state', payload: state(1, seq), retain: true, qos: 1 }, { change: true });
    await rec.waitFor(has('nl/cam1/state', state(1, 5)));
    await rec.sync(); // else the restarted broker re-delivers what the recorder had not acknowledged yet
    await until('acks of the first messages', () => link.status().inflight === 0);

    await broker.stop();
    await until('the link to notice', () => link.status().state !== 'connected');
    const sentChanges: string[] = [];
    for (let seq = 6; seq <= 105; seq++) {
      const cam = seq % 2;
      link.publish({ topic: `nl/cam${cam}/state`, payload: state(cam, seq), retain: true, qos: 1 }, { change: true });
      sentChanges.push(`nl/cam${cam}/state=${state(cam, seq)}`);
      link.publish({ topic: `nl/cam${cam}/attrs`, payload: `attrs ${seq}`, retain: true, qos: 1 });
      link.publish({ topic: 'nl/hub', payload: `hub ${seq}`, retain: true, qos: 0 });
    }
    // 100 changes, one waiting message per latest-wins topic.
    assert.equal(link.status().outbox.queued, 103);
    assert.equal(link.status().outbox.changes, 100);

    await broker.start();
    await connected(link);
    await rec.waitFor((msgs) => has('nl/hub', 'hub 105')(msgs) && has('nl/cam1/state', state(1, 105))(msgs), 20_000);
    await until('acks', () => link.status().inflight === 0);

    const afterOutage = rec.messages.slice(rec.messages.findIndex((m) => m.payload === state(1, 5)) + 1);
    const changes = afterOutage.filter((m) => m.topic.endsWith('/state')).map((m) => `${m.topic}=${m.payload}`);
    assert.deepEqual(changes, sentChanges, 'every change, in order, exactly once');
    // Latest-wins topics: only the newest value crossed the wire.
    assert.deepEqual(afterOutage.filter((m) => m.topic === 'nl/cam0/attrs').map((m) => m.payload), ['attrs 104']);
    assert.deepEqual(afterOutage.filter((m) => m.topic === 'nl/cam1/attrs').map((m) => m.payload), ['attrs 105']);
    const hub = afterOutage.filter((m) => m.topic === 'nl/hub');
    assert.deepEqual(hub, [{ topic: 'nl/hub', payload: 'hub 105', retain: true, qos: 1 }], 'held QoS 0 goes out as QoS 1');
    // Birth before the queued states.
    const birth = afterOutage.findIndex((m) => m.topic === 'nl/status' && m.payload === 'online');
    const firstState = afterOutage.findIndex((m) => m.topic.endsWith('/state'));
    assert.ok(birth >= 0 && birth < firstState, `birth at ${birth}, first state at ${firstState}`);

    // Someone subscribing now sees the latest retained state of everything.
    const fresh = await recordMessages(broker.url(), ['nl/#']);
    recorders.push(fresh);
    await fresh.waitFor((msgs) => msgs.length >= 6);
    const retained = new Map(fresh.messages.filter((m) => m.retain).map((m) => [m.topic, m.payload]));
    assert.equal(retained.get('nl/status'), 'online');
    assert.equal(retained.get('nl/cam0/state'), state(0, 104));
    assert.equal(retained.get('nl/cam1/state'), state(1, 105));
    assert.equal(retained.get('nl/cam1/attrs'), 'attrs 105');
    assert.equal(retained.get('nl/hub'), 'hub 105');
    assert.equal(errors.length, new Set(errors).size, `each problem reported once: ${errors.join(' | ')}`);
    assert.ok(errors.some((e) => /lost|ECONNRESET|closed/i.test(e)), errors.join(' | '));
  });

  it('re-subscribes after the broker comes back and receives the retained status again', async () => {
    const link = links.make({ url: broker.url() }, 're/status');
    const seen: string[] = [];
    const unsubscribe = link.subscribe('re/ha/status', (topic, payload, { retain }) => seen.push(`${payload.toString()}${retain ? ' (retained)' : ''}`));
    await connected(link);
    const ha = await connectAsync(broker.url(), { reconnectPeriod: 100 });
    clients.push(ha);
    await ha.publishAsync('re/ha/status', 'online', { retain: true, qos: 1 });
    await until('the live message', () => seen.includes('online'));

    await broker.stop();
    await broker.start();
    await until('the retained message after re-subscribing', () => seen.includes('online (retained)'), 15_000);
    await until('the publisher to reconnect', () => ha.connected, 10_000);
    await ha.publishAsync('re/ha/status', 'offline', { retain: true, qos: 1 });
    await until('a live message after the restart', () => seen.includes('offline'));

    unsubscribe();
    await ha.publishAsync('re/ha/status', 'online', { retain: true, qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(seen, ['online', 'online (retained)', 'offline']);
  });
});

describe('MqttLink when the broker is down, slow or refusing', { skip }, () => {
  const links = new Links();
  let deadPort: number;
  let blackhole: Server;
  const held: Socket[] = [];
  before(async () => {
    deadPort = await freePort();
    // Accepts TCP and never answers: a hung broker.
    blackhole = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await links.closeAll();
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  });

  const blackholeUrl = (): string => {
    const address = blackhole.address();
    assert.ok(address !== null && typeof address === 'object');
    return `mqtt://127.0.0.1:${address.port}`;
  };

  for (const kind of ['down', 'hung'] as const) {
    it(`publish() never blocks while the broker is ${kind}, and close() is bounded`, async () => {
      const errors: string[] = [];
      // localhost: Node may try ::1 and 127.0.0.1 and report an AggregateError with an empty message.
      const url = kind === 'down' ? `mqtt://localhost:${deadPort}` : blackholeUrl();
      const link = links.make({ url }, `${kind}/status`, { backoff: { initialMs: 20, maxMs: 80 }, connectTimeoutMs: 300, onError: (e) => errors.push(e) });
      const started = performance.now();
      for (let i = 0; i < 10_000; i++) {
        link.publish({ topic: `${kind}/cam${i % 50}/state`, payload: `{"seq":${i}}`, retain: true, qos: 1 }, { change: true });
      }
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 2_000, `10,000 publish() calls took ${elapsed.toFixed(0)} ms`);
      assert.equal(link.status().outbox.queued, 10_000);
      assert.equal(link.status().outbox.droppedChanges, 0);

      // Several reconnect attempts fail; each distinct problem is reported once.
      await until('a reported error', () => errors.length > 0);
      await new Promise((r) => setTimeout(r, kind === 'down' ? 500 : 1_000));
      assert.notEqual(link.status().state, 'connected');
      assert.match(link.status().lastError ?? '', kind === 'down' ? /ECONNREFUSED/ : /connack timeout/);
      assert.equal(errors.length, 1, errors.join(' | '));

      const closing = performance.now();
      await link.close();
      assert.ok(performance.now() - closing < 3_000, 'close() within its bound');
      assert.equal(link.status().state, 'disconnected');
    });
  }

  it('reports every message the full outbox drops', async () => {
    const dropped: string[] = [];
    const link = links.make({ url: `mqtt://127.0.0.1:${deadPort}` }, 'full/status', {
      outboxLimit: 100,
      onDrop: (e) => dropped.push(String(e.message.payload)),
    });
    for (let i = 0; i < 100; i++) link.publish({ topic: 'full/cam/state', payload: `c${i}`, retain: true, qos: 1 }, { change: true });
    link.publish({ topic: 'full/cam/attrs', payload: 'a0', retain: true, qos: 1 });
    link.publish({ topic: 'full/cam/state', payload: 'c100', retain: true, qos: 1 }, { change: true });
    assert.deepEqual(dropped, ['c0', 'a0']);
    assert.deepEqual(link.status().outbox, { queued: 100, changes: 100, superseded: 0, droppedLatest: 1, droppedChanges: 1 });
    await link.close();
  });

  it('collectRetained() gives up after its timeout when no broker answers', async () => {
    const link = links.make({ url: `mqtt://127.0.0.1:${deadPort}` }, 'cr-down/status');
    const started = Date.now();
    await assert.rejects(link.collectRetained('x/#', 100, 300), /within 300 ms/);
    assert.ok(Date.now() - started < 2_000);
    await link.close();
  });

  it('close() on a down broker leaves nothing running: the process exits by itself', async () => {
    const script = `
      const { MqttLink } = require(${JSON.stringify(LINK_JS)});
      const { parseBrokerSettings } = require(${JSON.stringify(OPTIONS_JS)});
      const link = new MqttLink({ broker: parseBrokerSettings({ url: process.argv[1] }), availabilityTopic: 'x/status',
        backoff: { initialMs: 20, maxMs: 40 } });
      for (let i = 0; i < 1000; i++) link.publish({ topic: 'x/s', payload: String(i), retain: true, qos: 1 }, { change: true });
      link.collectRetained('x/#', 100, 60000).catch(() => console.log('collect rejected'));
      setTimeout(() => {
        const t = Date.now();
        link.close().then(() => console.log('closed in ' + (Date.now() - t) + ' ms'));
      }, 300);`;
    const child = spawn(process.execPath, ['-e', script, `mqtt://127.0.0.1:${deadPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, `the process did not exit on its own (a timer or socket is left): ${out}`);
    assert.match(out, /collect rejected/);
    const ms = Number(/closed in (\d+) ms/.exec(out)?.[1]);
    assert.ok(ms < 2_500, out);
  });
});

describe('MqttLink with a password file, TLS and websockets', { skip }, () => {
  let broker: MosquittoBroker;
  const links = new Links();
  const recorders: Recorder[] = [];
  before(async () => {
    broker = await startMosquitto({ auth: { username: USER, password: PASSWORD }, tls: true, websockets: true });
  });
  after(async () => {
    await links.closeAll();
    await Promise.all(recorders.map((r) => r.close()));
    await broker?.dispose();
  });

  it('connects with the right password and publishes', async () => {
    const rec = await recordMessages(broker.url(), ['auth/#'], { username: USER, password: PASSWORD });
    recorders.push(rec);
    const link = links.make({ url: broker.url(), username: USER, password: PASSWORD }, 'auth/status');
    await connected(link);
    link.publish({ topic: 'auth/x', payload: 'hello', retain: false, qos: 1 });
    await rec.waitFor(has('auth/x', 'hello'));
  });

  it('a wrong password gives a clear status, keeps retrying quietly and never shows the password', async () => {
    const wrong = `${PASSWORD}-typo`;
    const errors: string[] = [];
    const link = links.make({ url: broker.url(), username: USER, password: wrong }, 'auth/status', {
      backoff: { initialMs: 50, maxMs: 100 },
      onError: (e) => errors.push(e),
    });
    link.publish({ topic: 'auth/x', payload: 'queued', retain: true, qos: 1 }, { change: true });
    await until('the refusal', () => errors.length > 0);
    await new Promise((r) => setTimeout(r, 600)); // several more refused attempts
    const status = link.status();
    assert.notEqual(status.state, 'connected');
    assert.match(status.lastError ?? '', /Connection refused: (Not authorized|Bad username or password)/);
    assert.equal(errors.length, 1, errors.join(' | '));
    for (const text of [...errors, JSON.stringify(status)]) {
      assert.ok(!text.includes(PASSWORD), `password leaked: ${text}`);
    }
    assert.equal(status.outbox.queued, 1, 'the message waits for a broker that accepts us');
  });

  it('connects over TLS when given the CA, and refuses an unknown certificate unless insecure', async () => {
    const withCa = links.make({ url: broker.url('mqtts'), username: USER, password: PASSWORD, ca: broker.ca }, 'tls/status');
    await connected(withCa);

    const errors: string[] = [];
    const strict = links.make({ url: broker.url('mqtts'), username: USER, password: PASSWORD }, 'tls/status', {
      onError: (e) => errors.push(e),
    });
    await until('the TLS refusal', () => errors.length > 0);
    assert.match(strict.status().lastError ?? '', /self[- ]signed certificate/i);
    assert.notEqual(strict.status().state, 'connected');

    const insecure = links.make({ url: broker.url('mqtts'), username: USER, password: PASSWORD, rejectUnauthorized: false }, 'tls/status');
    await connected(insecure);
  });

  it('connects over websockets', async () => {
    const rec = await recordMessages(broker.url(), ['ws/#'], { username: USER, password: PASSWORD });
    recorders.push(rec);
    const link = links.make({ url: broker.url('ws'), username: USER, password: PASSWORD }, 'ws/status');
    await connected(link);
    link.publish({ topic: 'ws/x', payload: 'over ws', retain: false, qos: 1 });
    await rec.waitFor(has('ws/x', 'over ws'));
    await rec.waitFor(has('ws/status', 'online'));
  });
});
