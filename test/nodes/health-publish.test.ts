/**
 * health-publish in the real Node-RED runtime against a real Mosquitto: what a subscriber (Home
 * Assistant's view) sees — exact discovery and state topics, retained flags, bridge availability,
 * re-announce on Home Assistant's birth, removal and stale clean-up that never touches another
 * integration — plus auth/TLS, a broker outage that loses no state change, and "off" without a URL.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { connect } from 'mqtt';
import registerHealthPublish from '../../nodes/health-publish/health-publish.js';
import registerBroker from '../../nodes/streampulse-broker/streampulse-broker.js';
import type { NodeMessage } from '../../nodes/shared/node-red.js';
import { mosquittoUnavailableReason, recordMessages, startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker, RecordedMessage, Recorder } from '../fixtures/mosquitto.js';
import * as helper from '../fixtures/node-red-helper.js';
import type { FlowNode, RegisterFunction } from '../fixtures/node-red-helper.js';
import { TAB, onTab, removeDir, streamsYaml, streampulseNodes, tempDir, waitFor, writeAtomically } from './harness.js';
import { makeHeartbeat } from './store-harness.js';

const NODES_DIR = join(__dirname, '..', '..', 'nodes');
const fromNodeRed = createRequire(require.resolve('node-red'));
const tlsConfig = fromNodeRed('@node-red/nodes/core/network/05-tls.js') as RegisterFunction;
const skip = mosquittoUnavailableReason();

async function publishNodes(): Promise<RegisterFunction[]> {
  return [
    ...(await streampulseNodes()),
    await helper.localised(registerBroker, join(NODES_DIR, 'streampulse-broker'), 'streampulse-broker'),
    await helper.localised(registerHealthPublish, join(NODES_DIR, 'health-publish'), 'health-publish'),
    tlsConfig,
  ];
}

function flow(broker: Record<string, unknown>, publish: Record<string, unknown> = {}, extra: FlowNode[] = []): FlowNode[] {
  return [
    { id: TAB, type: 'tab', label: 'publish' },
    { id: 'broker', type: 'streampulse-broker', discoveryPrefix: 'homeassistant', baseTopic: 'streampulse', keepalive: 60, ...broker },
    onTab({ id: 'pub', type: 'health-publish', broker: 'broker', refreshMinutes: 5, ...publish, wires: [['out']] }),
    onTab({ id: 'out', type: 'helper' }),
    ...extra,
  ];
}

interface Discovery {
  dev: { ids: string[]; name: string };
  o: { name: string };
  cmps: Record<string, { p: string; name?: string | null; device_class?: string; unique_id: string }>;
}
interface StatePayload {
  ts: string;
  health: { state: string };
  uptime: { h24: number | null };
}

const topics = (msgs: RecordedMessage[]): string[] => msgs.map((m) => m.topic);
const retainedOn = (msgs: RecordedMessage[], topic: string): RecordedMessage | undefined => msgs.filter((m) => m.topic === topic).at(-1);

describe('health-publish with a real Mosquitto', { skip }, () => {
  let broker: MosquittoBroker;
  let dir = '';
  let nodes: RegisterFunction[] = [];
  let rec: Recorder | undefined;
  let out: NodeMessage[] = [];

  const load = async (f: FlowNode[], credentials?: helper.FlowCredentials): Promise<void> => {
    await helper.load(nodes, f, credentials);
    out = [];
    helper.getNode('out').on('input', (msg) => out.push(msg));
  };

  before(async () => {
    broker = await startMosquitto({ persistence: true });
    nodes = await publishNodes();
  });
  beforeEach(async () => {
    dir = await tempDir('streampulse-publish-');
    helper.settings({ userDir: dir });
  });
  afterEach(async () => {
    await helper.unload();
    await rec?.close();
    rec = undefined;
    await removeDir(dir);
  });
  after(async () => {
    await broker.dispose();
  });

  it('announces each camera of the list as a device, publishes states, and re-announces when Home Assistant restarts', async () => {
    // Another integration's device and a stale device of ours, retained before we start.
    const other = JSON.stringify({ dev: { ids: ['zigbee_gate'] }, o: { name: 'Zigbee2MQTT' }, cmps: {} });
    const staleOurs = JSON.stringify({
      dev: { ids: ['streampulse_old'] }, o: { name: 'StreamPulse', sw: '0.0.1' },
      avty: [{ topic: 'streampulse/status' }], cmps: {},
    });
    await publishRetained(broker.url(), [['homeassistant/device/zigbee_gate/config', other], ['homeassistant/device/streampulse_old/config', staleOurs]]);
    rec = await recordMessages(broker.url(), ['homeassistant/#', 'streampulse/#']);

    await writeAtomically(join(dir, 'streams.yaml'), streamsYaml([
      { id: 'gate', name: 'Gate', url: 'rtsp://admin:s3cret@127.0.0.1:9/gate', interval: 60 },
      { id: 'yard', name: 'Yard', url: 'http://127.0.0.1:9/yard.mjpg', interval: 60 },
    ]));
    await load(flow({ url: broker.url() }, { cameras: 'cams' }, [{ id: 'cams', type: 'streampulse-cameras', source: 'file', path: 'streams.yaml' }]));
    const recorder = rec;
    await recorder.waitFor((m) => topics(m).includes('homeassistant/device/streampulse_yard/config') && topics(m).includes('homeassistant/device/streampulse_old/config') && retainedOn(m, 'homeassistant/device/streampulse_old/config')?.payload === '', 10_000);

    assert.equal(retainedOn(recorder.messages, 'streampulse/status')?.payload, 'online');
    const gate = JSON.parse(retainedOn(recorder.messages, 'homeassistant/device/streampulse_gate/config')?.payload ?? '{}') as Discovery;
    assert.deepEqual(gate.dev.ids, ['streampulse_gate']);
    assert.equal(gate.dev.name, 'Gate');
    assert.equal(gate.o.name, 'StreamPulse');
    assert.equal(gate.cmps.connectivity?.p, 'binary_sensor');
    assert.equal(gate.cmps.connectivity?.name, null, 'the main entity takes the device name');
    assert.equal(gate.cmps.connectivity?.device_class, 'connectivity');
    assert.ok(!JSON.stringify(gate).includes('object_id'));
    assert.ok(Object.values(gate.cmps).every((c) => c.unique_id.startsWith('streampulse_gate_')));
    assert.equal(retainedOn(recorder.messages, 'homeassistant/device/streampulse_old/config')?.payload, '', 'our stale device is cleared');
    assert.ok(!recorder.messages.some((m) => m.topic === 'homeassistant/device/zigbee_gate/config' && m.payload === ''), 'another integration is never touched');

    // A heartbeat → its retained state, without the password.
    helper.getNode('pub').receive({ payload: makeHeartbeat({ id: 'gate', name: 'Gate', atMs: Date.now(), code: 'refused', state: 'offline', changed: true }), uptime: { h24: 97.5, d7: 99, d30: null } });
    await recorder.waitFor((m) => m.some((x) => x.topic === 'streampulse/gate/state'), 5000);
    const state = retainedOn(recorder.messages, 'streampulse/gate/state');
    assert.equal(state?.retain, true);
    assert.equal(state?.qos, 1);
    const body = JSON.parse(state?.payload ?? '{}') as StatePayload;
    assert.equal(body.health.state, 'offline');
    assert.equal(body.uptime.h24, 97.5);
    assert.ok(!JSON.stringify(recorder.messages).includes('s3cret'), 'no password in any MQTT message');
    // The node's output: every message it published.
    assert.ok(out.some((m) => m.topic === 'streampulse/gate/state' && m.retain === true && m.qos === 1));

    // Home Assistant restarts: discovery again, before the states.
    const before = recorder.messages.length;
    await publishRetained(broker.url(), [['homeassistant/status', 'online']], false);
    await recorder.waitFor((m) => m.slice(before).some((x) => x.topic === 'streampulse/gate/state'), 5000);
    const again = topics(recorder.messages.slice(before));
    assert.ok(again.indexOf('homeassistant/device/streampulse_gate/config') < again.indexOf('streampulse/gate/state'), again.join('\n'));

    // A camera leaves the list: its device is removed.
    await writeAtomically(join(dir, 'streams.yaml'), streamsYaml([{ id: 'gate', name: 'Gate', url: 'rtsp://127.0.0.1:9/gate', interval: 60 }]));
    await recorder.waitFor((m) => retainedOn(m, 'homeassistant/device/streampulse_yard/config')?.payload === '', 10_000);
  });

  it('loses no state change while the broker is down, and says offline on a clean stop', async () => {
    await load(flow({ url: broker.url() }));
    const pub = helper.getNode('pub');
    const t0 = Date.now() - 60_000;
    pub.receive({ payload: makeHeartbeat({ id: 'door', atMs: t0, state: 'online', changed: true }) });
    rec = await recordMessages(broker.url(), ['streampulse/door/state'], { persistentId: 'sp-test-door' });
    const recorder = rec;
    await recorder.waitFor((m) => m.length >= 1, 5000);
    await recorder.sync();

    await broker.stop();
    // Ten changes while the broker is away; publishing must not block.
    // Alternating from the online start, so every heartbeat is a change.
    const states = ['online', 'offline'] as const;
    const started = Date.now();
    for (let i = 1; i <= 10; i++) {
      const state = states[i % 2] ?? 'online';
      pub.receive({ payload: makeHeartbeat({ id: 'door', atMs: t0 + i * 1000, code: state === 'online' ? 'ok' : 'timeout', state, changed: true }) });
    }
    assert.ok(Date.now() - started < 1000);
    await broker.start();
    const last = new Date(t0 + 10_000).toISOString();
    await recorder.waitFor((m) => m.some((x) => x.payload.includes(last)), 30_000);
    // The retained state may come again (re-subscription, re-announce): keep each probe once.
    const sequence: string[] = [];
    for (const m of recorder.messages) {
      const s = JSON.parse(m.payload) as StatePayload;
      const key = `${s.ts}:${s.health.state}`;
      if (s.ts !== new Date(t0).toISOString() && !sequence.includes(key)) sequence.push(key);
    }
    const expected = Array.from({ length: 10 }, (_, k) => `${new Date(t0 + (k + 1) * 1000).toISOString()}:${states[(k + 1) % 2] ?? ''}`);
    assert.deepEqual(sequence, expected, 'every change, in order');

    const status = await recordMessages(broker.url(), ['streampulse/status']);
    try {
      await status.waitFor((m) => m.at(-1)?.payload === 'online', 10_000);
      await helper.unload();
      await status.waitFor((m) => m.at(-1)?.payload === 'offline', 5000);
    } finally {
      await status.close();
    }
  });

  it('stays off without a broker URL: a grey status and no connection attempt', async () => {
    delete process.env.SP_TEST_NO_URL;
    await load(flow({ url: '${SP_TEST_NO_URL}' }));
    const pub = helper.getNode('pub');
    pub.receive({ payload: makeHeartbeat({ atMs: Date.now() }) });
    await waitFor(() => helper.statusesOf(pub).some((s) => s.fill === 'grey' && /publishing off/.test(s.text ?? '')), 'a grey "off" status', 5000);
    assert.equal(out.length, 0);
  });
});

describe('health-publish with a broker that wants a password and TLS', { skip }, () => {
  let broker: MosquittoBroker;
  let dir = '';
  let nodes: RegisterFunction[] = [];

  before(async () => {
    broker = await startMosquitto({ auth: { username: 'streampulse', password: 'broker-s3cret' }, tls: true });
    nodes = await publishNodes();
    dir = await tempDir('streampulse-publish-tls-');
    helper.settings({ userDir: dir });
    await writeFile(join(dir, 'ca.pem'), broker.ca ?? '');
  });
  after(async () => {
    await helper.unload();
    await broker.dispose();
    await removeDir(dir);
    delete process.env.SP_TEST_MQTT_PASSWORD;
  });

  it('connects over mqtts with the CA and ${ENV} credentials, and publishes', async () => {
    process.env.SP_TEST_MQTT_PASSWORD = 'broker-s3cret';
    const rec = await recordMessages(broker.url('mqtts'), ['streampulse/#'], { username: 'streampulse', password: 'broker-s3cret', ca: broker.ca });
    try {
      await helper.load(nodes, flow(
        { url: broker.url('mqtts'), tls: 'tls' },
        {},
        [{ id: 'tls', type: 'tls-config', certType: 'files', ca: join(dir, 'ca.pem'), verifyservercert: true }],
      ), { broker: { user: 'streampulse', password: '${SP_TEST_MQTT_PASSWORD}' } });
      helper.getNode('pub').receive({ payload: makeHeartbeat({ id: 'gate', atMs: Date.now() }) });
      await rec.waitFor((m) => m.some((x) => x.topic === 'streampulse/gate/state'), 10_000);
      assert.equal(retainedOn(rec.messages, 'streampulse/status')?.payload, 'online');
    } finally {
      await rec.close();
      await helper.unload();
    }
  });

  it('reports a wrong password in the status without a crash and without the password', async () => {
    await helper.load(nodes, flow({ url: broker.url('mqtts'), tls: 'tls' }, {}, [
      { id: 'tls', type: 'tls-config', certType: 'files', ca: join(dir, 'ca.pem'), verifyservercert: true },
    ]), { broker: { user: 'streampulse', password: 'wrong-s3cret' } });
    const pub = helper.getNode('pub');
    await waitFor(() => helper.warningsOf(pub).some((w) => /not authori[sz]ed/i.test(w)), 'an auth warning', 10_000);
    await waitFor(() => helper.statusesOf(pub).some((s) => s.fill === 'red'), 'a red status', 5000);
    const seen = JSON.stringify([helper.warningsOf(pub), helper.statusesOf(pub), helper.errorsOf(pub)]);
    assert.ok(!seen.includes('wrong-s3cret'));
    await helper.unload();
  });
});

/** Publishes messages (retained by default) with a throwaway client and waits for the broker's acks. */
async function publishRetained(url: string, messages: [string, string][], retain = true): Promise<void> {
  const client = connect(url, { connectTimeout: 5000, reconnectPeriod: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    for (const [topic, payload] of messages) await client.publishAsync(topic, payload, { retain, qos: 1 });
  } finally {
    await client.endAsync();
  }
}

