/**
 * The setting of the stream-probe node tests: one fake camera (Digest auth, except on the paths
 * whose behaviour is the point of a test), a fresh Node-RED user directory per test holding the
 * watched `streams.yaml`, and a flow that is unloaded after every test.
 */
import { join } from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { startFakeCamera } from '../fixtures/fake-camera.js';
import type { FakeCamera } from '../fixtures/fake-camera.js';
import * as helper from '../fixtures/node-red-helper.js';
import type { RegisterFunction } from '../fixtures/node-red-helper.js';
import { FlowRecorder, probeFlow, removeDir, streamsYaml, streampulseNodes, tempDir, writeAtomically } from './harness.js';

export const PASSWORD = 's3cret';
export const USER = 'admin';
/** How a heartbeat shows a URL whose stream has credentials: the user stays, the password is masked. */
export const MASKED = { user: USER, pass: '***' };
/** Relative in the flow: it must resolve in Node-RED's user directory. */
export const FILE = 'streams.yaml';

export type StreamFields = Record<string, string | number | boolean>;

export interface ProbeFixture {
  readonly cam: FakeCamera;
  /** Absolute path of the streams file. */
  readonly file: string;
  /** A Digest-protected camera that works (id `good`, interval 1 s, timeout 2 s). */
  good(extra?: StreamFields): StreamFields;
  /** A camera path that answers DESCRIBE with 404 (id `missing`). */
  missing(extra?: StreamFields): StreamFields;
  /** Writes the streams file and starts cameras(file) → stream-probe → out1/out2 (+ Catch). */
  start(streams: StreamFields[], probe?: Record<string, unknown>): Promise<FlowRecorder>;
  /** Unloads the flow now (the afterEach hook then has nothing left to do). */
  unload(): Promise<void>;
}

/** Registers the hooks of the enclosing describe() and returns the fixture they maintain. */
export function useProbeFixture(): ProbeFixture {
  let cam: FakeCamera | undefined;
  let dir = '';
  let nodes: RegisterFunction[] = [];
  let loaded = false;

  const camera = (): FakeCamera => {
    if (!cam) throw new Error('the fake camera is not running (used outside a test?)');
    return cam;
  };
  const fixture: ProbeFixture = {
    get cam() {
      return camera();
    },
    get file() {
      return join(dir, FILE);
    },
    good: (extra = {}) => ({ id: 'good', name: 'Good', url: camera().url('/ok'), username: USER, password: PASSWORD, interval: 1, timeout: 2, ...extra }),
    missing: (extra = {}) => ({ id: 'missing', name: 'Missing', url: camera().url('/status-404'), interval: 1, timeout: 2, ...extra }),
    async start(streams, probe = {}) {
      await writeAtomically(join(dir, FILE), streamsYaml(streams));
      await helper.load(nodes, probeFlow({ source: 'file', path: FILE }, probe));
      loaded = true;
      return new FlowRecorder();
    },
    async unload() {
      loaded = false;
      await helper.unload();
    },
  };

  before(async () => {
    cam = await startFakeCamera({
      startOnKeyframe: true,
      auth: { scheme: 'digest-md5', user: USER, pass: PASSWORD },
      routes: { '/status-404': { auth: null }, '/silent': { auth: null } },
    });
    nodes = await streampulseNodes();
  });
  beforeEach(async () => {
    dir = await tempDir('streampulse-node-');
    helper.settings({ userDir: dir });
  });
  afterEach(async () => {
    if (loaded) await fixture.unload();
    await removeDir(dir);
  });
  after(async () => {
    await cam?.close();
  });
  return fixture;
}

/** Every message, status, error, warning and log line of the run, as one text. */
export function everythingSeen(rec: FlowRecorder): string {
  return JSON.stringify([
    rec.out1.map((r) => r.msg),
    rec.out2.map((r) => r.msg),
    rec.caught,
    helper.statusesOf(rec.probe),
    helper.errorsOf(rec.probe),
    helper.warningsOf(rec.probe),
    helper.logLines(),
  ]);
}
