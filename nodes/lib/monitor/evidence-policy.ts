/**
 * Which evidence a scheduled probe asks for. `auto` (the default) follows DESIGN.md "Mind the cost
 * of evidence": a whole keyframe costs up to a GOP of video (megabytes at 1080p), the first video
 * packet a few KiB — so keyframes are fetched on the first probe, whenever the stream is not
 * plainly online, and every `keyframeEveryMs`; the first packet suffices in between.
 */
import type { Evidence, HealthState, VerifyLevel } from '../heartbeat.js';
import type { VerifySetting } from '../config/index.js';

export const DEFAULT_KEYFRAME_EVERY_MS = 5 * 60_000;

/** What the monitor remembers of a stream between probes. */
export interface StreamMemory {
  /** Last evidence worth comparing with (keyframe digest, HLS sequence). */
  evidence?: Evidence;
  lastKeyframeAt?: number;
  state: HealthState;
  failStreak: number;
}

export function chooseLevel(setting: VerifySetting, memory: StreamMemory | undefined, now: number, keyframeEveryMs: number): VerifyLevel {
  if (setting !== 'auto') return setting;
  if (!memory || memory.lastKeyframeAt === undefined) return 'keyframe';
  if (memory.state !== 'online' || memory.failStreak > 0) return 'keyframe';
  return now - memory.lastKeyframeAt >= keyframeEveryMs ? 'keyframe' : 'packet';
}

/** Keeps the digest of the last keyframe when a packet-level probe brings none. */
export function mergeEvidence(previous: Evidence | undefined, latest: Evidence | undefined): Evidence | undefined {
  if (!latest) return previous;
  if (latest.frameDigest !== undefined || !previous?.frameDigest) return latest;
  return { ...latest, frameDigest: previous.frameDigest };
}
