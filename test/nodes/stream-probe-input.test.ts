/**
 * stream-probe input messages in the real Node-RED runtime: a stream id probes it now, a stream
 * object is probed once and answered, pause/resume, and bad payloads reach a Catch node through
 * done(err).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as helper from '../fixtures/node-red-helper.js';
import { PROBE_ID, delay, waitFor } from './harness.js';
import { MASKED, PASSWORD, USER, everythingSeen, useProbeFixture } from './probe-fixture.js';

describe('stream-probe input messages', () => {
  const f = useProbeFixture();

  it('a stream id probes that stream now, even with an interval of an hour', async () => {
    const rec = await f.start([f.good({ interval: 3600 })]);
    await rec.status((s) => s.text === '0/1 online', '"0/1 online"', 4000);
    const started = Date.now();
    rec.probe.receive({ payload: 'good' });
    const beat = await rec.nextHeartbeats('good', 1, 4000);
    assert.ok(Date.now() - started < 4000);
    assert.equal(beat.heartbeat.code, 'ok', beat.heartbeat.message);
    assert.equal(beat.heartbeat.health.state, 'online');

    // An empty payload (or an inject's timestamp) probes them all.
    rec.probe.receive({ payload: Date.now() });
    await rec.nextHeartbeats('good', 1, 4000);
    assert.deepEqual(rec.caught, []);
  });

  it('a stream object is probed once and answered on output 1 with the message', async () => {
    const rec = await f.start([f.good({ interval: 3600 })]);
    rec.probe.receive({ payload: { name: 'Ad hoc', url: f.cam.url('/ok'), username: USER, password: PASSWORD, timeout: 3 }, note: 'kept' });
    const answer = await rec.nextHeartbeats('ad_hoc', 1, 5000);
    assert.equal(answer.heartbeat.code, 'ok', answer.heartbeat.message);
    assert.equal(answer.heartbeat.stream.url, f.cam.url('/ok', MASKED));
    assert.equal(answer.msg.note, 'kept', 'the answer is the incoming message with topic and payload set');
    assert.deepEqual(rec.changes('ad_hoc'), [], 'a one-off probe is no state change of the list');
    assert.ok(!everythingSeen(rec).includes(PASSWORD));
    // It is not added to the schedule.
    rec.probe.receive({ payload: 'ad_hoc' });
    await waitFor(() => rec.caught.length === 1, 'the unknown-id error', 3000);
    assert.match(String((rec.caught[0]?.error as { message?: unknown } | undefined)?.message), /ad_hoc/);
  });

  it('{command: "pause"} stops scheduled heartbeats and "resume" restarts them', async () => {
    const rec = await f.start([f.good()]);
    await rec.nextHeartbeats('good', 2, 6000);
    rec.probe.receive({ payload: { command: 'pause' } });
    await rec.status((s) => (s.text ?? '').startsWith('paused'), 'paused', 2000);
    assert.deepEqual(helper.statusesOf(rec.probe).at(-1), { fill: 'grey', shape: 'ring', text: 'paused: 1/1 online' });
    const atPause = rec.heartbeats('good').length;
    // Three intervals of silence (one probe already in flight may still report).
    await delay(3000);
    assert.ok(rec.heartbeats('good').length <= atPause + 1, `${rec.heartbeats('good').length - atPause} heartbeats while paused`);

    // A probe asked for by id still runs while paused.
    rec.probe.receive({ payload: 'good' });
    await rec.nextHeartbeats('good', 1, 4000);

    rec.probe.receive({ payload: { command: 'resume' } });
    await rec.status((s) => s.text === '1/1 online' && s.fill === 'green', 'resumed', 2000);
    await rec.nextHeartbeats('good', 2, 5000);
    assert.deepEqual(rec.caught, []);
  });

  it('a bad payload ends in done(err), so a Catch node gets it', async () => {
    const rec = await f.start([f.good({ interval: 3600 })]);
    const bad: [unknown, RegExp][] = [
      [[1, 2], /array/],
      [{ command: 'stop' }, /command must be "pause" or "resume"/],
      [{ name: 'X', url: 'ftp://127.0.0.1/x' }, /msg\.payload.*url/],
      ['no-such-stream', /no-such-stream/],
    ];
    for (const [payload, pattern] of bad) {
      const before = rec.caught.length;
      rec.probe.receive({ payload, topic: 'bad' });
      await waitFor(() => rec.caught.length > before, `the Catch node to get the error for ${JSON.stringify(payload)}`, 3000);
      const caught = rec.caught.at(-1);
      const error = caught?.error as { message?: unknown; source?: { id?: unknown } } | undefined;
      assert.match(String(error?.message), pattern);
      assert.equal(error?.source?.id, PROBE_ID);
      assert.equal(caught?.topic, 'bad', 'the Catch node gets the message that failed');
    }
    assert.equal(rec.heartbeats('good').length, 0);
  });
});
