/**
 * 1,000 probes against failing and healthy fake cameras: the process never crashes and, once
 * they are done, holds no socket, UDP socket or timer more than before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProbeCode } from '../../../nodes/lib/heartbeat.js';
import { probe } from '../../../nodes/lib/probe/index.js';
import type { ProbeTarget } from '../../../nodes/lib/probe/index.js';
import { startFakeCamera } from '../../fixtures/fake-camera.js';
import type { FakeCamera } from '../../fixtures/fake-camera.js';

const PROBES = 1000;
const CONCURRENCY = 20;

function handleCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

describe('resource hygiene over 1,000 probes', () => {
  let cam: FakeCamera;
  before(async () => {
    cam = await startFakeCamera({ startOnKeyframe: true });
  });
  after(async () => {
    await cam?.close();
  });

  it('leaves no socket or timer behind', async () => {
    const mix: [Omit<ProbeTarget, 'url'> & { path: string }, ProbeCode][] = [
      [{ path: '/status-404' }, 'not_found'],
      [{ path: '/reset-on-connect' }, 'refused'],
      [{ path: '/garbage' }, 'protocol_error'],
      [{ path: '/no-video-sdp' }, 'no_video'],
      [{ path: '/ok', verify: 'packet' }, 'ok'],
      [{ path: '/ok' }, 'ok'],
      [{ path: '/tcp-refused', verify: 'packet' }, 'ok'],
      [{ path: '/status-500' }, 'server_error'],
      [{ path: '/unauthorized-forever', username: 'admin', password: 's3cret' }, 'auth_failed'],
      [{ path: '/silent' }, 'timeout'],
    ];
    const before = handleCounts();
    const seen = new Map<ProbeCode, number>();
    let next = 0;
    const worker = async () => {
      while (next < PROBES) {
        const i = next++;
        const [{ path, ...rest }, expected] = mix[i % mix.length] as (typeof mix)[number];
        // A generous deadline: this test is about leaks, and a loaded CI machine once stalled a 3 s one.
        const r = await probe({ url: cam.url(path), ...rest }, { timeoutMs: path === '/silent' ? 300 : 10_000 });
        assert.equal(r.code, expected, `${path}: ${r.message}`);
        seen.set(r.code, (seen.get(r.code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await cam.whenIdle(5000);
    // Let close callbacks and cleared timers settle.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const afterCounts = handleCounts();
    for (const kind of ['TCPSocketWrap', 'TLSWrap', 'UDPWrap', 'Timeout', 'TCPWrap', 'ProcessWrap']) {
      assert.ok((afterCounts.get(kind) ?? 0) <= (before.get(kind) ?? 0), `${kind}: ${before.get(kind) ?? 0} before, ${afterCounts.get(kind) ?? 0} after`);
    }
    assert.equal([...seen.values()].reduce((a, b) => a + b, 0), PROBES);
  });
});
