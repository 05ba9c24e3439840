import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffStreams, hasChanges, sameConfig } from '../../../nodes/lib/config/diff.js';
import type { StreamConfig } from '../../../nodes/lib/config/types.js';

function stream(id: string, extra: Partial<StreamConfig> = {}): StreamConfig {
  return {
    id,
    name: id.toUpperCase(),
    url: `rtsp://cam/${id}`,
    intervalMs: 15_000,
    timeoutMs: 10_000,
    verify: 'auto',
    enabled: true,
    transport: 'auto',
    kind: 'auto',
    tags: [],
    tlsVerify: false,
    ...extra,
  };
}

describe('diffStreams', () => {
  it('splits by id into added, removed, changed and unchanged', () => {
    const before = [stream('a'), stream('b'), stream('c'), stream('d')];
    const after = [stream('e'), stream('c', { intervalMs: 5000 }), stream('a'), stream('d', { tags: ['x'] })];
    const diff = diffStreams(before, after);
    assert.deepEqual(diff.added.map((s) => s.id), ['e']);
    assert.deepEqual(diff.removed.map((s) => s.id), ['b']);
    assert.deepEqual(diff.changed.map((s) => s.id), ['c', 'd']);
    assert.deepEqual(diff.unchanged.map((s) => s.id), ['a']);
    assert.equal(diff.changed[0]?.intervalMs, 5000, 'changed carries the new version');
    assert.ok(hasChanges(diff));
  });

  it('any field counts: name, password, nested tag order', () => {
    const base = stream('a', { tags: ['x', 'y'], password: 'p' });
    for (const variant of [{ name: 'New' }, { password: 'q' }, { tags: ['y', 'x'] }, { area: 'Hall' }, { verify: 'decode' as const }]) {
      const diff = diffStreams([base], [{ ...base, ...variant }]);
      assert.equal(diff.changed.length, 1, JSON.stringify(variant));
    }
  });

  it('an optional field set to undefined equals an absent one', () => {
    const diff = diffStreams([stream('a')], [{ ...stream('a'), area: undefined, username: undefined }]);
    assert.equal(diff.unchanged.length, 1);
    assert.equal(hasChanges(diff), false);
  });

  it('empty before means everything is added; empty after means everything is removed', () => {
    assert.deepEqual(diffStreams([], [stream('a')]).added.map((s) => s.id), ['a']);
    assert.deepEqual(diffStreams([stream('a')], []).removed.map((s) => s.id), ['a']);
  });
});

describe('sameConfig', () => {
  it('compares top-level settings and streams in order', () => {
    const a = { heartbeatSeconds: 15, streams: [stream('a'), stream('b')] };
    assert.ok(sameConfig(a, { heartbeatSeconds: 15, streams: [stream('a'), stream('b')] }));
    assert.ok(!sameConfig(a, { heartbeatSeconds: 30, streams: [stream('a'), stream('b')] }));
    assert.ok(!sameConfig(a, { ...a, timezone: 'UTC' }));
    assert.ok(!sameConfig(a, { heartbeatSeconds: 15, streams: [stream('b'), stream('a')] }));
    assert.ok(!sameConfig(a, { heartbeatSeconds: 15, streams: [stream('a')] }));
  });
});
