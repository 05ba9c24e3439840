/**
 * What a reload changes, by stream id: added streams start, removed streams stop (their probe in
 * flight is aborted), changed streams restart, unchanged ones keep their schedule and health.
 */
import { isDeepStrictEqual } from 'node:util';
import type { StreamConfig, StreamsConfig } from './types.js';

export interface StreamsDiff {
  /** In `after` order. */
  added: StreamConfig[];
  /** In `before` order. */
  removed: StreamConfig[];
  /** The new versions, in `after` order. */
  changed: StreamConfig[];
  /** In `after` order. */
  unchanged: StreamConfig[];
}

export function diffStreams(before: readonly StreamConfig[], after: readonly StreamConfig[]): StreamsDiff {
  const old = new Map(before.map((s) => [s.id, s]));
  const next = new Set(after.map((s) => s.id));
  const diff: StreamsDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const stream of after) {
    const previous = old.get(stream.id);
    if (previous === undefined) diff.added.push(stream);
    else if (sameStream(previous, stream)) diff.unchanged.push(stream);
    else diff.changed.push(stream);
  }
  for (const stream of before) if (!next.has(stream.id)) diff.removed.push(stream);
  return diff;
}

export function hasChanges(diff: StreamsDiff): boolean {
  return diff.added.length > 0 || diff.removed.length > 0 || diff.changed.length > 0;
}

/** Deep equality where an absent optional field equals one set to undefined. */
export function sameStream(a: StreamConfig, b: StreamConfig): boolean {
  return isDeepStrictEqual(withoutUndefined(a), withoutUndefined(b));
}

/** Same top-level settings and the same streams in the same order. */
export function sameConfig(a: StreamsConfig, b: StreamsConfig): boolean {
  if (a.heartbeatSeconds !== b.heartbeatSeconds || a.timezone !== b.timezone) return false;
  if (a.streams.length !== b.streams.length) return false;
  return a.streams.every((s, i) => {
    const other = b.streams[i];
    return other !== undefined && sameStream(s, other);
  });
}

function withoutUndefined(stream: StreamConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stream).filter(([, v]) => v !== undefined));
}
