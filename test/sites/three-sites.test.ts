/**
 * Issue 8, "several sites, one broker", end to end: ONE Mosquitto and THREE real Node-RED
 * processes on 127.0.0.1. Sites `north` and `south` each watch a camera called "Gate" (id `gate`)
 * on their own fake camera (north's is healthy, south's answers 404) through the shipped chain
 * streampulse-cameras → stream-probe → heartbeat-store → health-publish, with the site id set on
 * the broker node. The third, `central`, runs examples/central-site.json (mqtt in → switch →
 * heartbeat-store) and must show both gates apart, as `north_gate` and `south_gate`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectAsync } from 'mqtt';
import { startFakeCamera } from '../fixtures/fake-camera.js';
import type { FakeCamera } from '../fixtures/fake-camera.js';
import { mosquittoUnavailableReason, recordMessages, startMosquitto } from '../fixtures/mosquitto.js';
import type { MosquittoBroker, RecordedMessage, Recorder } from '../fixtures/mosquitto.js';
import { startNodeRed } from '../fixtures/node-red-process.js';
import type { NodeRedProcess } from '../fixtures/node-red-process.js';

/** The repository's examples/ (this file runs from dist/test/sites/). */
const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const WAIT_MS = 30_000;

type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string };

/** One site's flow; the same flow serves every site, the site id comes from STREAMPULSE_SITE. */
function siteFlow(streamsFile: string): FlowNode[] {
  const z = 'sitetab';
  const at = (node: FlowNode): FlowNode => ({ z, x: 100, y: 100, ...node });
  return [
    { id: z, type: 'tab', label: 'site' },
    { id: 'cams', type: 'streampulse-cameras', name: 'cameras', source: 'file', path: streamsFile, streams: [], interval: '' },
    { id: 'db', type: 'streampulse-store', file: 'streampulse.db' },
    {
      id: 'broker', type: 'streampulse-broker', url: '${MQTT_URL}', clientId: '', keepalive: 60, tls: '', insecure: false,
      discoveryPrefix: 'homeassistant', baseTopic: 'streampulse', site: '${STREAMPULSE_SITE}',
    },
    at({ id: 'probe', type: 'stream-probe', cameras: 'cams', store: 'db', maxConcurrent: 8, maxPerHost: 2, failuresToOffline: 2, wires: [['store'], []] }),
    at({ id: 'store', type: 'heartbeat-store', store: 'db', serve: true, base: '/streampulse', wires: [['publish']] }),
    at({ id: 'publish', type: 'health-publish', broker: 'broker', cameras: 'cams', store: 'db', refreshMinutes: 5, wires: [[]] }),
  ];
}

/** examples/central-site.json as Node-RED would import it: its nodes plus the tab they sit on. */
async function centralFlow(): Promise<FlowNode[]> {
  const flow = JSON.parse(await readFile(join(EXAMPLES, 'central-site.json'), 'utf8')) as FlowNode[];
  const tabs = [...new Set(flow.map((n) => n.z).filter((z): z is string => typeof z === 'string'))];
  return [...tabs.map((id) => ({ id, type: 'tab', label: 'central' })), ...flow];
}

/** A streams file with "Gate" (id gate) and, optionally, "Yard" (id yard). */
function streamsYaml(gateUrl: string, yardUrl?: string): string {
  const line = (id: string, name: string, url: string): string =>
    `  - {id: "${id}", name: "${name}", url: ${JSON.stringify(url)}, interval: 1, timeout: 2}\n`;
  return `heartbeat_seconds: 1\nstreams:\n${line('gate', 'Gate', gateUrl)}${yardUrl === undefined ? '' : line('yard', 'Yard', yardUrl)}`;
}

/** The newest message recorded on `topic`. */
function latest(messages: readonly RecordedMessage[], topic: string): RecordedMessage | undefined {
  return messages.findLast((m) => m.topic === topic);
}

async function getJson(red: NodeRedProcess, path: string): Promise<unknown> {
  const res = await fetch(`${red.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `${path} answered ${res.status}`);
  return res.json();
}

/** Polls `check` (which throws until it holds) every 250 ms for at most `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms: ${err instanceof Error ? err.message : String(err)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface ApiStream {
  id: string;
  name: string;
  state: string;
}

interface ApiOutage {
  stream: string;
  open: boolean;
}

describe('three sites, one broker', { skip: mosquittoUnavailableReason(), timeout: 240_000 }, () => {
  let broker: MosquittoBroker | undefined;
  let rec: Recorder | undefined;
  const cams: FakeCamera[] = [];
  const reds: Partial<Record<'central' | 'north' | 'south', NodeRedProcess>> = {};
  let dir = '';

  before(async () => {
    broker = await startMosquitto();
    rec = await recordMessages(broker.url(), ['homeassistant/#', 'streampulse/#']);
    const [northCam, southCam] = await Promise.all([startFakeCamera({ startOnKeyframe: true }), startFakeCamera({ startOnKeyframe: true })]);
    cams.push(northCam, southCam);
    dir = await mkdtemp(join(tmpdir(), 'sp-sites-'));
    await writeFile(join(dir, 'north.yaml'), streamsYaml(northCam.url('/ok')));
    await writeFile(join(dir, 'south.yaml'), streamsYaml(southCam.url('/status-404')));
    // Empty credentials: the broker node must not pick up a developer's MQTT_USERNAME.
    const env = { MQTT_URL: broker.url(), MQTT_USERNAME: '', MQTT_PASSWORD: '' };
    // Central first, so it is subscribed before the sites publish (retained states would also do).
    reds.central = await startNodeRed({ flows: await centralFlow(), env });
    const site = (name: string): Promise<NodeRedProcess> =>
      startNodeRed({ flows: siteFlow(join(dir, `${name}.yaml`)), env: { ...env, STREAMPULSE_SITE: name } });
    const [north, south] = await Promise.allSettled([site('north'), site('south')]);
    if (north.status === 'fulfilled') reds.north = north.value;
    if (south.status === 'fulfilled') reds.south = south.value;
    if (north.status === 'rejected') throw north.reason;
    if (south.status === 'rejected') throw south.reason;
  });

  after(async () => {
    await Promise.all(Object.values(reds).map((red) => red.stop(5_000)));
    await rec?.close();
    await broker?.dispose();
    await Promise.all(cams.map((cam) => cam.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('announces two distinct devices, both called "Gate", on distinct topics', async () => {
    if (!rec) throw new Error('no recorder');
    const configTopic = (site: string): string => `homeassistant/device/streampulse_${site}_gate/config`;
    await rec.waitFor((m) => ['north', 'south'].every((site) => (latest(m, configTopic(site))?.payload ?? '') !== ''), WAIT_MS);
    const devices = ['north', 'south'].map((site) => {
      const message = latest(rec?.messages ?? [], configTopic(site));
      assert.equal(message?.retain, true);
      return JSON.parse(message?.payload ?? '{}') as {
        dev: { ids: string[]; name: string };
        avty: { topic: string }[];
        cmps: Record<string, { unique_id: string; stat_t: string }>;
      };
    });
    const [north, south] = devices;
    assert.ok(north && south);
    assert.deepEqual([north.dev.ids, south.dev.ids], [['streampulse_north_gate'], ['streampulse_south_gate']]);
    assert.deepEqual([north.dev.name, south.dev.name], ['Gate', 'Gate']);
    assert.equal(north.cmps['connectivity']?.unique_id, 'streampulse_north_gate_connectivity');
    assert.equal(south.cmps['connectivity']?.unique_id, 'streampulse_south_gate_connectivity');
    assert.equal(north.cmps['connectivity']?.stat_t, 'streampulse/north/gate/state');
    assert.equal(south.cmps['connectivity']?.stat_t, 'streampulse/south/gate/state');
    assert.deepEqual([north.avty[0]?.topic, south.avty[0]?.topic], ['streampulse/north/status', 'streampulse/south/status']);
    // Each site has its own hub device, and nothing is published without a site.
    const topics = new Set(rec.messages.map((m) => m.topic));
    assert.ok(topics.has('homeassistant/device/streampulse_north__hub/config'));
    assert.ok(topics.has('homeassistant/device/streampulse_south__hub/config'));
    assert.ok(!topics.has('homeassistant/device/streampulse_gate/config'));
    assert.ok(!topics.has('streampulse/status'));
  });

  it('keeps one availability topic per site', async () => {
    if (!rec) throw new Error('no recorder');
    await rec.waitFor((m) => ['north', 'south'].every((site) => latest(m, `streampulse/${site}/status`)?.payload === 'online'), WAIT_MS);
    assert.equal(latest(rec.messages, 'streampulse/north/status')?.retain, true);
  });

  it('publishes each gate\'s state as a Heartbeat with <site>_<id> and the site', async () => {
    if (!rec) throw new Error('no recorder');
    const state = (site: string): { stream: { id: string; site: string }; health: { state: string }; code: string } | undefined => {
      const payload = latest(rec?.messages ?? [], `streampulse/${site}/gate/state`)?.payload;
      return payload ? (JSON.parse(payload) as { stream: { id: string; site: string }; health: { state: string }; code: string }) : undefined;
    };
    await rec.waitFor(() => state('north')?.health.state === 'online' && state('south')?.health.state === 'offline', WAIT_MS);
    assert.deepEqual([state('north')?.stream.id, state('north')?.stream.site], ['north_gate', 'north']);
    assert.deepEqual([state('south')?.stream.id, state('south')?.stream.site, state('south')?.code], ['south_gate', 'south', 'not_found']);
  });

  it('the central store lists north_gate online and south_gate offline with an open outage', async () => {
    const central = reds.central;
    if (!central) throw new Error('no central Node-RED');
    const streams = await eventually('central lists north_gate online and south_gate offline', async () => {
      const body = (await getJson(central, '/streampulse/api/streams')) as { streams: ApiStream[] };
      const byId = new Map(body.streams.map((s) => [s.id, s]));
      assert.equal(byId.get('north_gate')?.state, 'online');
      assert.equal(byId.get('south_gate')?.state, 'offline');
      return body.streams;
    });
    // Only the two cameras: no site-less `gate`, no hub counters taken for a stream.
    assert.deepEqual(streams.map((s) => s.id).sort(), ['north_gate', 'south_gate']);
    assert.deepEqual(streams.map((s) => s.name), ['Gate', 'Gate']);
    const outages = await eventually('central has an open outage for south_gate', async () => {
      const body = (await getJson(central, '/streampulse/api/outages')) as { outages: ApiOutage[] };
      assert.ok(body.outages.some((o) => o.stream === 'south_gate' && o.open), JSON.stringify(body.outages));
      return body.outages;
    });
    assert.ok(!outages.some((o) => o.stream === 'north_gate'), JSON.stringify(outages));
    // The switch kept hub states and empty payloads away from the store: no "not a Heartbeat" error.
    assert.doesNotMatch(central.output(), /\[error\]|not a Heartbeat|Failed to parse JSON/i);
  });

  it('drops the empty retained payloads of a removed camera before they reach the central store', async () => {
    const central = reds.central;
    const southCam = cams[1];
    if (!rec || !broker || !central || !southCam) throw new Error('not started');
    const southFile = join(dir, 'south.yaml');
    const yardState = 'streampulse/south/yard/state';
    await writeFile(southFile, streamsYaml(southCam.url('/status-404'), southCam.url('/ok')));
    await rec.waitFor((m) => (latest(m, yardState)?.payload ?? '') !== '', WAIT_MS);
    await writeFile(southFile, streamsYaml(southCam.url('/status-404')));
    await rec.waitFor((m) => latest(m, yardState)?.payload === '' && latest(m, 'homeassistant/device/streampulse_south_yard/config')?.payload === '', WAIT_MS);
    // The broker passes messages on in the order it got them: once a marker published after the
    // empty payloads is in the central store, the central has handled those payloads too.
    const template = JSON.parse(latest(rec.messages, 'streampulse/north/gate/state')?.payload ?? '{}') as { stream: Record<string, unknown> };
    const marker = { ...template, stream: { ...template.stream, id: 'sync_marker', site: 'sync' } };
    const client = await connectAsync(broker.url(), { connectTimeout: 5_000, reconnectPeriod: 0 });
    try {
      await client.publishAsync('streampulse/sync/marker/state', JSON.stringify(marker), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    await eventually('the marker reaches the central store', async () => {
      const body = (await getJson(central, '/streampulse/api/streams')) as { streams: ApiStream[] };
      assert.ok(body.streams.some((s) => s.id === 'sync_marker'));
    });
    assert.doesNotMatch(central.output(), /\[error\]|not a Heartbeat|Failed to parse JSON/i);
  });

  it('a site stopped with SIGTERM goes offline on its own availability topic; the other stays online', async () => {
    const north = reds.north;
    if (!rec || !broker || !north) throw new Error('not started');
    const stopped = await north.stop(10_000);
    delete reds.north;
    assert.equal(stopped.code, 0, `north exited cleanly (${JSON.stringify(stopped)})`);
    await rec.waitFor((m) => latest(m, 'streampulse/north/status')?.payload === 'offline', WAIT_MS);
    // What a subscriber arriving now (Home Assistant after a restart) reads from the broker.
    const fresh = await recordMessages(broker.url(), ['streampulse/+/status']);
    try {
      await fresh.waitFor((m) => m.length >= 2, 10_000);
      assert.equal(latest(fresh.messages, 'streampulse/north/status')?.payload, 'offline');
      assert.equal(latest(fresh.messages, 'streampulse/south/status')?.payload, 'online');
      assert.ok(fresh.messages.every((m) => m.retain));
    } finally {
      await fresh.close();
    }
  });
});
