/**
 * The streampulse-cameras config node in the real Node-RED runtime: the list edited in the dialog
 * (passwords in credentials, keyed by row), a streams file that is missing at deploy and appears
 * later, one list shared by two stream-probe nodes, and the example flow of examples/.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Heartbeat } from '../../nodes/lib/heartbeat.js';
import type { NodeMessage } from '../../nodes/shared/node-red.js';
import { startFakeCamera } from '../fixtures/fake-camera.js';
import type { FakeCamera } from '../fixtures/fake-camera.js';
import * as helper from '../fixtures/node-red-helper.js';
import type { FlowNode, RegisterFunction } from '../fixtures/node-red-helper.js';
import { CAMERAS_ID, FlowRecorder, onTab, probeFlow, removeDir, streamsYaml, streampulseNodes, tempDir, waitFor, writeAtomically } from './harness.js';

const USER = 'admin';
const PASSWORD = 's3cret';

/** A row as the editor dialog saves it (streampulse-cameras.html oneditsave). */
function editorRow(key: string, name: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  // interval 2: the editor has no timeout field, and the default timeout is the interval (at most 10 s).
  return { key, name, url, username: USER, verify: 'auto', enabled: true, hasPassword: false, interval: 2, ...extra };
}

describe('streampulse-cameras config node in a Node-RED runtime', () => {
  let cam: FakeCamera;
  let dir = '';
  let nodes: RegisterFunction[] = [];
  let loaded = false;

  async function load(flow: FlowNode[], credentials?: helper.FlowCredentials): Promise<void> {
    await helper.load(nodes, flow, credentials);
    loaded = true;
  }

  before(async () => {
    cam = await startFakeCamera({ startOnKeyframe: true, auth: { scheme: 'digest-md5', user: USER, pass: PASSWORD } });
    nodes = await streampulseNodes();
  });
  beforeEach(async () => {
    dir = await tempDir('streampulse-cameras-');
    helper.settings({ userDir: dir });
  });
  afterEach(async () => {
    if (loaded) await helper.unload();
    loaded = false;
    await removeDir(dir);
  });
  after(async () => {
    await cam?.close();
  });

  it('list source: each row gets the password stored under its key in the credentials', async () => {
    const streams = [
      editorRow('k1', 'Front', cam.url('/ok'), { hasPassword: true }),
      editorRow('k2', 'Back', cam.url('/ok')),
      editorRow('k3', 'Garage', cam.url('/ok'), { enabled: false }),
    ];
    await load(probeFlow({ source: 'list', interval: 15, streams }), { [CAMERAS_ID]: { passwords: JSON.stringify({ k1: PASSWORD }) } });
    const rec = new FlowRecorder();
    await waitFor(() => rec.heartbeats('front').length >= 1 && rec.heartbeats('back').length >= 1, 'heartbeats of both enabled rows', 8000);

    const front = rec.heartbeats('front')[0]?.heartbeat;
    assert.equal(front?.code, 'ok', front?.message);
    assert.equal(front?.health.state, 'online');
    assert.equal(front?.stream.url, cam.url('/ok', { user: USER, pass: '***' }));
    // Same camera, same user, but no password stored for this row: the camera refuses it.
    const back = rec.heartbeats('back')[0]?.heartbeat;
    assert.equal(back?.code, 'auth_failed', back?.message);

    // The disabled row is listed but neither probed nor counted.
    const status = await rec.status((s) => s.text === '1/2 online' && s.fill === 'red', '"1/2 online" in red', 8000);
    assert.equal(status.shape, 'dot');
    assert.equal(rec.heartbeats('garage').length, 0);
    assert.deepEqual(helper.errorsOf(rec.probe), []);
    const seen = JSON.stringify([rec.out1.map((r) => r.msg), rec.out2.map((r) => r.msg), helper.statusesOf(rec.probe), helper.logLines()]);
    assert.ok(!seen.includes(PASSWORD), 'a password appears in a message, status or log line');
  });

  it('list source: an invalid row shows the error naming the field', async () => {
    await load(probeFlow({ source: 'list', interval: 15, streams: [editorRow('k1', 'Front', 'ftp://127.0.0.1/x')] }));
    const rec = new FlowRecorder();
    const status = await rec.status((s) => s.fill === 'red', 'red', 4000);
    assert.match(status.text ?? '', /streams\[0\]\.url/);
    assert.ok(helper.errorsOf(rec.probe).some((e) => e.includes('streams[0].url')), JSON.stringify(helper.errorsOf(rec.probe)));
  });

  it('file source: a file missing at deploy is picked up when it appears', async () => {
    await load(probeFlow({ source: 'file', path: 'later.yaml' }));
    const rec = new FlowRecorder();
    const missing = await rec.status((s) => s.fill === 'red', 'red', 4000);
    assert.match(missing.text ?? '', /^invalid list: /);
    assert.ok(
      helper.errorsOf(rec.probe).some((e) => e.endsWith('later.yaml: file not found')),
      JSON.stringify(helper.errorsOf(rec.probe)),
    );
    assert.equal(rec.out1.length, 0);

    await writeAtomically(join(dir, 'later.yaml'), streamsYaml([{ id: 'front', name: 'Front', url: cam.url('/ok'), username: USER, password: PASSWORD, interval: 1, timeout: 2 }]));
    const beat = await rec.nextHeartbeats('front', 1, 10_000);
    assert.equal(beat.heartbeat.code, 'ok', beat.heartbeat.message);
    await rec.status((s) => s.text === '1/1 online', '"1/1 online"', 4000);
  });

  it('no config node: the probe says so in its status and log', async () => {
    const flow = probeFlow({ source: 'list', streams: [] }).filter((n) => n.id !== CAMERAS_ID);
    for (const n of flow) if (n.type === 'stream-probe') n.cameras = '';
    await load(flow);
    const rec = new FlowRecorder();
    const status = await rec.status((s) => s.fill === 'red', 'red', 2000);
    assert.deepEqual(status, { fill: 'red', shape: 'ring', text: 'no camera list' });
    assert.deepEqual(helper.errorsOf(rec.probe), ['no camera list configured']);
  });

  it('one list feeds two stream-probe nodes, both subscribed before the file was read', async () => {
    await writeAtomically(join(dir, 'streams.yaml'), streamsYaml([{ id: 'front', name: 'Front', url: cam.url('/ok'), username: USER, password: PASSWORD, interval: 1, timeout: 2 }]));
    const flow = probeFlow({ source: 'file', path: 'streams.yaml' });
    flow.push(onTab({ id: 'probe2', type: 'stream-probe', name: '', cameras: CAMERAS_ID, wires: [['second'], []] }), onTab({ id: 'second', type: 'helper' }));
    await load(flow);
    const rec = new FlowRecorder();
    const second: NodeMessage[] = [];
    helper.getNode('second').on('input', (msg) => second.push(msg));
    await waitFor(() => rec.heartbeats('front').length >= 1 && second.length >= 1, 'heartbeats from both probe nodes', 8000);
    assert.equal((second[0]?.payload as Heartbeat).code, 'ok');
    // Each probe node probes on its own (its own schedule and health).
    assert.equal((second[0]?.payload as Heartbeat).health.state, 'online');
    assert.deepEqual(helper.errorsOf(rec.probe), [], 'the "loading" placeholder is no error');
    assert.deepEqual(helper.errorsOf(helper.getNode('probe2')), []);
  });
});

describe('examples/stream-probe.json', () => {
  let cam: FakeCamera;
  let dir = '';

  before(async () => {
    cam = await startFakeCamera({ startOnKeyframe: true });
    dir = await tempDir('streampulse-example-');
    helper.settings({ userDir: dir });
  });
  after(async () => {
    await helper.unload();
    await cam?.close();
    await removeDir(dir);
  });

  it('imports into the runtime and reports heartbeats and changes to its debug nodes', async () => {
    const text = await readFile(join(__dirname, '..', '..', '..', 'examples', 'stream-probe.json'), 'utf8');
    const flow = JSON.parse(text) as FlowNode[];
    const byType = (type: string): FlowNode[] => flow.filter((n) => n.type === type);
    assert.deepEqual(
      [...new Set(flow.map((n) => n.type))].sort(),
      ['comment', 'debug', 'inject', 'stream-probe', 'streampulse-cameras'],
    );
    const probe = byType('stream-probe')[0];
    const cameras = byType('streampulse-cameras')[0];
    const inject = byType('inject')[0];
    assert.ok(probe && cameras && inject);
    assert.equal(probe.cameras, cameras.id);
    assert.deepEqual(inject.wires, [[probe.id]]);
    const [everyHeartbeat, changes] = probe.wires ?? [];
    assert.ok(everyHeartbeat?.length === 1 && changes?.length === 1, 'both outputs go to a debug node');

    await writeAtomically(join(dir, String(cameras.path)), streamsYaml([{ name: 'Front Door', url: cam.url('/ok'), interval: 3600 }]));
    // Import puts the nodes on the current tab; here that is the tab their `z` names.
    const tabs = [...new Set(flow.map((n) => n.z).filter((z) => z !== undefined))];
    assert.equal(tabs.length, 1, 'every flow node of the example sits on one tab');
    assert.ok(flow.every((n) => n.z !== undefined || n.type === 'streampulse-cameras'));
    flow.push({ id: tabs[0] ?? '', type: 'tab', label: 'example' });
    await helper.load([...(await streampulseNodes()), helper.coreNodes.inject, helper.coreNodes.debug, helper.coreNodes.comment], flow);
    const firstDebug: NodeMessage[] = [];
    const secondDebug: NodeMessage[] = [];
    helper.getNode(everyHeartbeat[0] ?? '').on('input', (msg) => firstDebug.push(msg));
    helper.getNode(changes[0] ?? '').on('input', (msg) => secondDebug.push(msg));
    await waitFor(() => helper.statusesOf(helper.getNode(probe.id)).at(-1)?.text === '0/1 online', 'the list to load', 4000);

    helper.getNode(inject.id).receive({});
    await waitFor(() => firstDebug.length >= 1 && secondDebug.length >= 1, 'the heartbeat on both debug nodes', 6000);
    assert.equal(firstDebug[0]?.topic, 'front_door');
    assert.equal((firstDebug[0]?.payload as Heartbeat).code, 'ok');
    assert.equal((secondDebug[0]?.payload as Heartbeat).health.state, 'online');
  });
});
