/**
 * Closing stream-probe (unload, redeploy) while probes hang on a silent camera: it completes within
 * 2 s, aborts every probe (scheduled or one-off) and leaves no socket, timer or file watcher.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as helper from '../fixtures/node-red-helper.js';
import { FlowRecorder, excessHandles, handleCounts, probeFlow, waitFor } from './harness.js';
import { FILE, useProbeFixture } from './probe-fixture.js';

describe('closing stream-probe', () => {
  const f = useProbeFixture();

  it('unload while probes hang completes within 2 s and leaves no socket, timer or watcher', async () => {
    const baseline = handleCounts();
    const silentRequests = (): number => f.cam.requests().filter((r) => r.url.includes('/silent')).length;
    const silentBefore = silentRequests();
    const rec = await f.start([
      f.good(),
      { id: 'hang1', name: 'Hang 1', url: f.cam.url('/silent'), interval: 60, timeout: 5 },
      { id: 'hang2', name: 'Hang 2', url: f.cam.url('/silent/2'), interval: 60, timeout: 5 },
    ]);
    // The file is read asynchronously: a message before that would find no stream to probe.
    await rec.status((s) => (s.text ?? '').endsWith('/3 online'), 'the list to load', 4000);
    rec.probe.receive({ payload: '' });
    await waitFor(() => silentRequests() >= silentBefore + 2, 'both silent probes to be in flight', 4000);
    assert.ok(f.cam.openConnections() >= 2);

    const t0 = Date.now();
    await f.unload();
    const took = Date.now() - t0;
    assert.ok(took < 2000, `closing took ${took} ms`);
    assert.equal(rec.heartbeats('hang1').length + rec.heartbeats('hang2').length, 0, 'aborted probes send nothing');

    await f.cam.whenIdle(2000);
    await waitFor(() => excessHandles(baseline).length === 0, `handles to drop to the baseline (${excessHandles(baseline).join(', ')})`, 2000);
  });

  it('a one-off probe of a stream object is aborted by the close too', async () => {
    const baseline = handleCounts();
    const silentBefore = f.cam.requests().filter((r) => r.url.includes('/silent')).length;
    const rec = await f.start([f.good({ interval: 3600 })]);
    rec.probe.receive({ payload: { name: 'Once', url: f.cam.url('/silent'), timeout: 5 } });
    await waitFor(() => f.cam.requests().filter((r) => r.url.includes('/silent')).length > silentBefore, 'the one-off probe to be in flight', 4000);

    const t0 = Date.now();
    await f.unload();
    assert.ok(Date.now() - t0 < 2000, `closing took ${Date.now() - t0} ms`);
    // Its socket is closed now, not when its 5 s timeout would have fired.
    await f.cam.whenIdle(2000);
    await waitFor(() => excessHandles(baseline).length === 0, `handles to drop to the baseline (${excessHandles(baseline).join(', ')})`, 2000);
    assert.equal(rec.heartbeats('once').length, 0);
  });

  it('a full redeploy while probes hang restarts quickly and leaks nothing', async () => {
    const baseline = handleCounts();
    const streams = [f.good(), { id: 'hang', name: 'Hang', url: f.cam.url('/silent'), interval: 60, timeout: 5 }];
    const rec = await f.start(streams);
    await rec.status((s) => (s.text ?? '').endsWith('/2 online'), 'the list to load', 4000);
    rec.probe.receive({ payload: '' });
    await waitFor(() => f.cam.openConnections() >= 1 && rec.heartbeats('good').length >= 1, 'a hanging probe in flight', 4000);

    const t0 = Date.now();
    await helper.redeploy(probeFlow({ source: 'file', path: FILE }, { name: 'redeployed' }), 'full');
    assert.ok(Date.now() - t0 < 2000, `redeploy took ${Date.now() - t0} ms`);
    const fresh = new FlowRecorder();
    await fresh.nextHeartbeats('good', 1, 6000);

    await f.unload();
    await f.cam.whenIdle(2000);
    await waitFor(() => excessHandles(baseline).length === 0, `handles to drop to the baseline (${excessHandles(baseline).join(', ')})`, 2000);
  });
});
