/**
 * StreamMonitors register in the process-wide registry while open and report their schedule
 * there; a fake probe function keeps it fast and exact (the probe core has its own tests).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamConfig } from '../../../nodes/lib/config/index.js';
import type { ProbeResult } from '../../../nodes/lib/heartbeat.js';
import { monitorRegistry } from '../../../nodes/lib/monitor/registry.js';
import { StreamMonitor } from '../../../nodes/lib/monitor/stream-monitor.js';

function stream(id: string): StreamConfig {
  return { id, name: id, url: `rtsp://127.0.0.1:9/${id}`, intervalMs: 60_000, timeoutMs: 1000, verify: 'packet', enabled: true, transport: 'auto', kind: 'auto', tags: [], tlsVerify: false };
}

function okResult(id: string): ProbeResult {
  return {
    stream: { id, name: id, url: `rtsp://127.0.0.1:9/${id}`, protocol: 'rtsp' },
    ts: new Date().toISOString(), ok: true, code: 'ok', message: 'ok', latencyMs: 1, timings: {},
  };
}

describe('monitor registry', () => {
  it('counts a monitor while open: its streams, probes in flight and queued, and their lags', async () => {
    const before = monitorRegistry.snapshot();
    const release: (() => void)[] = [];
    const monitor = new StreamMonitor({
      onHeartbeat: () => undefined,
      maxConcurrent: 2,
      maxPerHost: 10,
      // Holds every probe until released, so in-flight and queued are observable.
      probe: (target) => new Promise((resolve) => release.push(() => resolve(okResult(target.id ?? '')))),
    });
    try {
      assert.equal(monitorRegistry.size, before.monitors + 1);
      monitor.setStreams([stream('a'), stream('b'), stream('c'), stream('d'), stream('e')]);
      // No scheduled probe may join in (a first slot drawn within these milliseconds): probeNow only.
      monitor.pause();
      const reports = monitor.probeNow();
      const during = monitorRegistry.snapshot();
      assert.equal(during.streams - before.streams, 5);
      assert.equal(during.running - before.running, 2);
      assert.equal(during.queued - before.queued, 3);
      // Two probes started at once, with (almost) no lag.
      assert.equal(during.lagWindow.count - before.lagWindow.count, 2);
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        release.splice(0).forEach((go) => go());
      }
      await reports;
      const after = monitorRegistry.snapshot();
      assert.equal(after.running - before.running, 0);
      assert.equal(after.queued - before.queued, 0);
      assert.equal(after.lagTotal.count - before.lagTotal.count, 5);
      // The last three waited in the queue for the first probes to finish: a visible lag.
      assert.ok((after.lagWindow.max ?? 0) >= 4, `max lag ${after.lagWindow.max}`);
    } finally {
      await monitor.close();
    }
    const closed = monitorRegistry.snapshot();
    assert.equal(closed.monitors, before.monitors);
    assert.equal(closed.streams, before.streams);
    // Totals survive the close (a Prometheus summary's _count never goes down).
    assert.equal(closed.lagTotal.count - before.lagTotal.count, 5);
    assert.equal(closed.lagWindow.count, before.lagWindow.count);
  });

  it('unregisters once, however often it is closed', async () => {
    const before = monitorRegistry.size;
    const monitor = new StreamMonitor({ onHeartbeat: () => undefined, probe: () => Promise.resolve(okResult('x')) });
    assert.equal(monitorRegistry.size, before + 1);
    await monitor.close();
    await monitor.close();
    assert.equal(monitorRegistry.size, before);
  });
});
