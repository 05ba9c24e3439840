/**
 * examples/home-assistant-mqtt.json in the real runtime: a fake camera from streams.yaml, the
 * broker from MQTT_URL / MQTT_USERNAME / MQTT_PASSWORD (a password-protected Mosquitto), and a
 * subscriber that must see the camera's discovery and its state.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import registerHealthPublish from '../../nodes/health-publish/health-publish.js';
import registerBroker from '../../nodes/streampulse-broker/streampulse-broker.js';
import { startFakeCamera } from '../fixtures/fake-camera.js';
import type { FakeCamera } from '../fixtures/fake-camera.js';
import { mosquittoUnavailableReason, recordMessages, startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker } from '../fixtures/mosquitto.js';
import * as helper from '../fixtures/node-red-helper.js';
import type { FlowNode } from '../fixtures/node-red-helper.js';
import { removeDir, streamsYaml, streampulseNodes, tempDir, writeAtomically } from '../nodes/harness.js';
import { storeNodes } from '../nodes/store-harness.js';

const NODES_DIR = join(__dirname, '..', '..', 'nodes');
const ENV = ['MQTT_URL', 'MQTT_USERNAME', 'MQTT_PASSWORD'] as const;

describe('examples/home-assistant-mqtt.json', { skip: mosquittoUnavailableReason() }, () => {
  let cam: FakeCamera | undefined;
  let broker: MosquittoBroker | undefined;
  let dir = '';
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

  before(async () => {
    cam = await startFakeCamera({ startOnKeyframe: true });
    broker = await startMosquitto({ auth: { username: 'ha', password: 'mqtt-s3cret' } });
    dir = await tempDir('streampulse-mqtt-example-');
    await writeAtomically(join(dir, 'streams.yaml'), streamsYaml([{ id: 'porch', name: 'Porch', url: cam.url('/ok'), interval: 1, timeout: 2 }]));
    helper.settings({ userDir: dir });
    Object.assign(process.env, { MQTT_URL: broker.url(), MQTT_USERNAME: 'ha', MQTT_PASSWORD: 'mqtt-s3cret' });
  });
  after(async () => {
    await helper.unload();
    await broker?.dispose();
    await cam?.close();
    await removeDir(dir);
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('puts the camera into Home Assistant with the broker taken from the environment', async () => {
    if (!broker) throw new Error('no broker');
    const flow = JSON.parse(await readFile(join(__dirname, '..', '..', '..', 'examples', 'home-assistant-mqtt.json'), 'utf8')) as FlowNode[];
    assert.deepEqual([...new Set(flow.map((n) => n.type))].sort(), [
      'comment', 'debug', 'health-publish', 'heartbeat-store', 'stream-probe', 'streampulse-broker', 'streampulse-cameras', 'streampulse-store',
    ]);
    const rec = await recordMessages(broker.url(), ['homeassistant/#', 'streampulse/#'], { username: 'ha', password: 'mqtt-s3cret' });
    try {
      await helper.load([
        ...(await streampulseNodes()), ...(await storeNodes()),
        await helper.localised(registerBroker, join(NODES_DIR, 'streampulse-broker'), 'streampulse-broker'),
        await helper.localised(registerHealthPublish, join(NODES_DIR, 'health-publish'), 'health-publish'),
        helper.coreNodes.debug, helper.coreNodes.comment,
      ], flow);
      await rec.waitFor((m) => m.some((x) => x.topic === 'streampulse/porch/state' && x.payload.includes('"online"')), 15_000);
      assert.ok(rec.messages.some((m) => m.topic === 'homeassistant/device/streampulse_porch/config' && m.retain));
      assert.ok(rec.messages.some((m) => m.topic === 'streampulse/status' && m.payload === 'online'));
      assert.ok(!JSON.stringify(rec.messages).includes('mqtt-s3cret'));
    } finally {
      await rec.close();
    }
  });
});
