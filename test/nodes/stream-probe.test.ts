/**
 * stream-probe in the real Node-RED runtime (node-red-node-test-helper) against real servers: the
 * fake RTSP camera and GStreamer's RTSP server. A watched YAML file in a temporary Node-RED user
 * directory feeds a streampulse-cameras config node; what the node sends, its status and its log
 * are observed from outside. Input messages: stream-probe-input.test.ts; closing:
 * stream-probe-close.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GST_PASSWORD, GST_USER, gstUnavailableReason, startGstRtspServer } from '../fixtures/gst-rtsp.js';
import type { GstRtspServer } from '../fixtures/gst-rtsp.js';
import * as helper from '../fixtures/node-red-helper.js';
import { CAMERAS_ID, FlowRecorder, PROBE_ID, probeFlow, removeDir, streamsYaml, streampulseNodes, tempDir, waitFor, writeAtomically } from './harness.js';
import type { Received } from './harness.js';
import { FILE, MASKED, PASSWORD, everythingSeen, useProbeFixture } from './probe-fixture.js';
import type { StreamFields } from './probe-fixture.js';

/** `out2` must hold exactly the heartbeats of `out1` whose health changed. */
function changesMatchHeartbeats(rec: FlowRecorder): boolean {
  const key = (r: Received): string => `${r.msg.topic ?? ''}@${r.heartbeat.ts}`;
  const changedOnOut1 = rec.out1.filter((r) => r.heartbeat.health.changed).map(key).sort();
  return JSON.stringify(changedOnOut1) === JSON.stringify(rec.out2.map(key).sort());
}

describe('stream-probe node in a Node-RED runtime', () => {
  const f = useProbeFixture();

  it('emits every heartbeat on output 1 and state changes on output 2, without passwords', async () => {
    const rec = await f.start([f.good(), f.missing()]);
    await waitFor(
      () => rec.heartbeats('good').length >= 2 && rec.heartbeats('missing').length >= 2 && rec.changes('missing').length >= 1,
      'two heartbeats of each camera and the offline change',
      10_000,
    );

    const [firstGood, secondGood] = rec.heartbeats('good');
    assert.ok(firstGood && secondGood);
    assert.equal(firstGood.msg.topic, 'good');
    assert.equal(firstGood.heartbeat.code, 'ok', firstGood.heartbeat.message);
    assert.equal(firstGood.heartbeat.ok, true);
    assert.equal(firstGood.heartbeat.stream.id, 'good');
    assert.equal(firstGood.heartbeat.stream.name, 'Good');
    assert.equal(firstGood.heartbeat.stream.url, f.cam.url('/ok', MASKED));
    assert.equal(firstGood.heartbeat.stream.protocol, 'rtsp');
    assert.deepEqual([firstGood.heartbeat.health.state, firstGood.heartbeat.health.changed], ['online', true]);
    assert.deepEqual([secondGood.heartbeat.health.state, secondGood.heartbeat.health.changed], ['online', false]);
    // The first probe asks for a whole keyframe (verify: auto), and the SPS gives the size.
    assert.equal(firstGood.heartbeat.media?.codec, 'H264');
    assert.deepEqual([firstGood.heartbeat.media?.width, firstGood.heartbeat.media?.height], [320, 240]);

    const [firstMissing, secondMissing] = rec.heartbeats('missing');
    assert.ok(firstMissing && secondMissing);
    assert.equal(firstMissing.msg.topic, 'missing');
    assert.equal(firstMissing.heartbeat.code, 'not_found', firstMissing.heartbeat.message);
    assert.equal(firstMissing.heartbeat.ok, false);
    // One failure is not an outage (debounce): unknown with a streak of 1, then offline at 2.
    assert.deepEqual(
      [firstMissing.heartbeat.health.state, firstMissing.heartbeat.health.failStreak, firstMissing.heartbeat.health.changed],
      ['unknown', 1, false],
    );
    assert.deepEqual(
      [secondMissing.heartbeat.health.state, secondMissing.heartbeat.health.failStreak, secondMissing.heartbeat.health.changed],
      ['offline', 2, true],
    );

    // Output 2: unknown → online for the good camera, unknown → offline for the failing one.
    assert.deepEqual(
      rec.changes('good').map((r) => r.heartbeat.health.state),
      ['online'],
    );
    assert.deepEqual(
      rec.changes('missing').map((r) => r.heartbeat.health.state),
      ['offline'],
    );
    assert.equal(rec.changes('missing')[0]?.heartbeat.ts, secondMissing.heartbeat.ts);
    await waitFor(() => changesMatchHeartbeats(rec), 'output 2 to carry exactly the changed heartbeats of output 1', 2000);

    // The camera checked the Digest credentials; none of it may leak into what the node emits.
    assert.ok(f.cam.requests().some((r) => r.auth === 'ok'), 'the camera saw valid credentials');
    assert.ok(!everythingSeen(rec).includes(PASSWORD), 'a password appears in a message, status or log line');
    assert.deepEqual(helper.errorsOf(rec.probe), [], 'no error logged for a valid list');
  });

  it('shows "online/total online" with a dot whose colour tells the worst state', async () => {
    const rec = await f.start([f.good(), f.missing()]);
    // One online, one unknown (its first failure) is yellow; once the second failure makes it
    // offline, red.
    const offline = await rec.status((s) => s.text === '1/2 online' && s.fill === 'red', '"1/2 online" in red', 10_000);
    assert.deepEqual(offline, { fill: 'red', shape: 'dot', text: '1/2 online' });
    // Before any verdict both cameras are unknown: yellow, not red and not green.
    assert.ok(
      helper.statusesOf(rec.probe).some((s) => s.fill === 'yellow' && s.text === '0/2 online'),
      JSON.stringify(helper.statusesOf(rec.probe)),
    );
    await f.unload();

    const all = await f.start([f.good(), f.good({ id: 'good2', name: 'Good 2' })]);
    const green = await all.status((s) => s.text === '2/2 online' && s.fill === 'green', '"2/2 online" in green', 10_000);
    assert.deepEqual(green, { fill: 'green', shape: 'dot', text: '2/2 online' });
  });

  it('hot reload: an added stream starts, a removed one stops, a changed one restarts', async () => {
    const b = (): StreamFields => f.good({ id: 'b', name: 'B' });
    const c = (): StreamFields => f.good({ id: 'c', name: 'C' });
    const rec = await f.start([f.good(), b()]);
    await waitFor(() => rec.heartbeats('good').length >= 1 && rec.heartbeats('b').length >= 1, 'the first heartbeats', 8000);
    const bSince = rec.heartbeats('b')[0]?.heartbeat.health.since;

    // Added.
    await writeAtomically(f.file, streamsYaml([f.good(), b(), c()]));
    const firstC = await rec.nextHeartbeats('c', 1, 8000);
    assert.equal(firstC.heartbeat.code, 'ok', firstC.heartbeat.message);
    await rec.status((s) => s.text === '3/3 online', '"3/3 online"', 8000);

    // Removed: once the status counts two streams the reload is applied; after that at most the
    // probe that was already in flight may still report.
    await writeAtomically(f.file, streamsYaml([b(), c()]));
    await rec.status((s) => s.text === '2/2 online', '"2/2 online"', 8000);
    const goodAtReload = rec.heartbeats('good').length;
    await Promise.all([rec.nextHeartbeats('b', 3, 8000), rec.nextHeartbeats('c', 3, 8000)]);
    assert.ok(
      rec.heartbeats('good').length <= goodAtReload + 1,
      `"good" kept being probed after its removal: ${rec.heartbeats('good').length - goodAtReload} heartbeats`,
    );

    // Changed (same id, new URL): the stream restarts on the new URL.
    await writeAtomically(f.file, streamsYaml([b(), { id: 'c', name: 'C', url: f.cam.url('/status-404'), interval: 1, timeout: 2 }]));
    await waitFor(
      () => rec.heartbeats('c').some((r) => r.heartbeat.code === 'not_found' && r.heartbeat.stream.url === f.cam.url('/status-404')),
      'a heartbeat of "c" from its new URL',
      8000,
    );
    await waitFor(() => rec.changes('c').some((r) => r.heartbeat.health.state === 'offline'), '"c" to go offline', 8000);
    await rec.status((s) => s.text === '1/2 online' && s.fill === 'red', '"1/2 online" in red', 8000);

    // The unchanged stream kept its schedule and its health through three reloads.
    const lastB = rec.heartbeats('b').at(-1);
    assert.equal(lastB?.heartbeat.health.since, bSince);
    assert.equal(lastB?.heartbeat.code, 'ok');
    assert.deepEqual(
      rec.changes('b').map((r) => r.heartbeat.health.state),
      ['online'],
    );
    assert.deepEqual(helper.errorsOf(rec.probe), []);
  });

  it('an invalid file keeps the old list probed and shows the error naming the field', async () => {
    const rec = await f.start([f.good()]);
    await rec.nextHeartbeats('good', 1, 8000);

    await writeAtomically(f.file, streamsYaml([f.good({ url: 'ftp://127.0.0.1/ok' })]));
    const status = await rec.status((s) => s.fill === 'red', 'red', 8000);
    assert.equal(status.shape, 'ring');
    assert.match(status.text ?? '', /^invalid list: streams\[0\]\.url/);
    assert.ok(
      helper.errorsOf(rec.probe).some((e) => e.includes(`${FILE}:`) && e.includes('streams[0].url') && e.includes('rtsp://')),
      `node.error names the file and the field: ${JSON.stringify(helper.errorsOf(rec.probe))}`,
    );

    // The last good list is still probed, on its old URL.
    const after = await rec.nextHeartbeats('good', 2, 8000);
    assert.equal(after.heartbeat.code, 'ok');
    assert.equal(after.heartbeat.stream.url, f.cam.url('/ok', MASKED));
    assert.equal(helper.statusesOf(rec.probe).at(-1)?.fill, 'red', 'the error stays shown while the old list runs');

    // A fixed file clears the error.
    await writeAtomically(f.file, streamsYaml([f.good({ timeout: 3 })]));
    await rec.status((s) => s.text === '1/1 online', '"1/1 online"', 8000);

    // Redeploying only the probe node (the editor's default "modified nodes") while the list is
    // invalid: the closing node must not be handed the list again (it would log the error again).
    await writeAtomically(f.file, streamsYaml([f.good({ url: 'ftp://127.0.0.1/ok' })]));
    await rec.status((s) => s.fill === 'red', 'red again', 8000);
    const closing = rec.probe;
    const errorsBefore = helper.errorsOf(closing).length;
    await helper.redeploy(probeFlow({ source: 'file', path: FILE }, { name: 'renamed' }), 'nodes');
    assert.notEqual(helper.getNode(PROBE_ID), closing, 'the probe node was restarted');
    assert.equal(helper.getNode(CAMERAS_ID) !== null, true);
    assert.deepEqual(helper.errorsOf(closing).slice(errorsBefore), [], 'the closed node logged nothing more');
    // The new node gets the old list and the error at once.
    const fresh = new FlowRecorder();
    await fresh.status((s) => s.fill === 'red' && (s.text ?? '').includes('streams[0].url'), 'the error on the new node', 4000);
    const resumed = await fresh.nextHeartbeats('good', 1, 8000);
    assert.equal(resumed.heartbeat.stream.url, f.cam.url('/ok', MASKED));
  });
});

const gstSkip = gstUnavailableReason();

describe('stream-probe against GStreamer RTSP server', { skip: gstSkip ?? false }, () => {
  let gst: GstRtspServer | undefined;
  let dir = '';
  let loaded = false;

  before(async () => {
    gst = await startGstRtspServer();
    dir = await tempDir('streampulse-node-gst-');
    helper.settings({ userDir: dir });
  });
  after(async () => {
    if (loaded) await helper.unload();
    await gst?.stop();
    await removeDir(dir);
  });

  it('a Digest-protected H.264 mount comes online from an absolute YAML path', async () => {
    assert.ok(gst);
    const file = join(dir, 'gst.yaml');
    const url = gst.url('/digest');
    await writeAtomically(
      file,
      streamsYaml([
        { id: 'gst', name: 'GStreamer', url, username: GST_USER, password: GST_PASSWORD, interval: 2, timeout: 8 },
        { id: 'gst-nopass', name: 'No password', url, interval: 2, timeout: 8 },
      ]),
    );
    await helper.load(await streampulseNodes(), probeFlow({ source: 'file', path: file }));
    loaded = true;
    const rec = new FlowRecorder();
    const beat = await rec.nextHeartbeats('gst', 1, 15_000);
    assert.equal(beat.heartbeat.code, 'ok', beat.heartbeat.message);
    assert.equal(beat.heartbeat.stream.url, gst.url('/digest', { user: GST_USER, pass: '***' }));
    assert.equal(beat.heartbeat.media?.codec, 'H264');
    assert.deepEqual([beat.heartbeat.media?.width, beat.heartbeat.media?.height], [640, 480]);
    assert.equal(beat.heartbeat.health.state, 'online');
    const denied = await rec.nextHeartbeats('gst-nopass', 1, 15_000);
    assert.equal(denied.heartbeat.code, 'auth_failed', denied.heartbeat.message);
    assert.ok(!everythingSeen(rec).includes(GST_PASSWORD));
  });
});
