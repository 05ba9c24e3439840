/**
 * Which evidence a scheduled probe asks for. `auto` (the default) follows DESIGN.md "Mind the cost
 * of evidence": a whole keyframe costs up to a GOP of video (megabytes at 1080p), the first video
 * packet a few KiB — so keyframes are fetched on the first probe, whenever the stream is not
 * plainly online, and every `keyframeEveryMs`; the first packet suffices in between.
 */
import type { Evidence, HealthState, VerifyLevel } from '../heartbeat.js';
import type { VerifySetting } from '../config/index.js';

export const DEFAULT_KEYFRAME_EVERY_MS = 5 * 60_000;

/**
 * A keyframe (or JPEG) digest younger than this is not compared with: many cameras and restreamers
 * keep a GOP cache and send its keyframe first to every new session, so two probes within one GOP
 * (a retry 1 s after a failure, say) get the same bytes from a live camera. Taking that for a
 * frozen picture gave a false alarm in the capacity bench (BENCHMARKS.md). 10 s is longer than
 * the usual GOP (1–4 s); the monitor takes half the stream's interval when that is less, so
 * scheduled probes still compare with each other.
 */
export const DEFAULT_FROZEN_MIN_AGE_MS = 10_000;

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

/** The evidence a probe compares with: without a digest taken less than `minAgeMs` ago. */
export function evidenceToCompare(memory: StreamMemory | undefined, now: number, minAgeMs: number): Evidence | undefined {
  const evidence = memory?.evidence;
  if (evidence?.frameDigest === undefined || memory?.lastKeyframeAt === undefined || now - memory.lastKeyframeAt >= minAgeMs) return evidence;
  const { frameDigest: _recent, ...rest } = evidence;
  return rest;
}

/** Keeps the digest of the last keyframe when a packet-level probe brings none. */
export function mergeEvidence(previous: Evidence | undefined, latest: Evidence | undefined): Evidence | undefined {
  if (!latest) return previous;
  if (latest.frameDigest !== undefined || !previous?.frameDigest) return latest;
  return { ...latest, frameDigest: previous.frameDigest };
}
