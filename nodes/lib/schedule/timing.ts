/**
 * When a stream is probed next. The policy, in one place:
 *
 * - Grid. Each stream has a drift-free grid `anchor + k·interval`; the anchor (its first probe)
 *   is uniform over [now, now + interval) when the stream is added, so N streams added at once
 *   (a deploy) produce an even N/interval probes per second instead of a burst.
 * - Jitter. Each grid slot runs at `nominal + u·jitter·interval`, u uniform in [-½, ½): the gap
 *   between two probes stays within interval·(1 ± jitter), yet jitter never accumulates, because
 *   the next slot is computed from the previous NOMINAL time, not from when the probe ran or ended.
 *   The first probe is not jittered (it is uniform already), so after a bulk add the load ripples
 *   once around t ≈ one interval (by up to ±25 % for about jitter·interval), then stays even.
 * - Overrun. The next slot is the first grid slot after the probe ended: slots missed while a
 *   probe ran long are skipped, never run in a burst.
 * - Failure. After n consecutive failures the next probe comes after
 *   min(retryBase·2^(n-1), interval) — 1 s, 2 s, 4 s… — or at the next grid slot if that is
 *   sooner. Early retries confirm an outage quickly (health needs two failures), the cap keeps a
 *   failing stream probed at least once per interval so recovery is seen within one interval, and
 *   the doubling keeps a dead camera from being hammered. Success resets n and returns to the grid,
 *   at the first slot at least half an interval after the successful run began: a retry that ends
 *   just before a slot must not be followed by a second probe at once.
 */

/** The first grid slot strictly after `t`, at least one interval after `lastNominal`. */
export function nextNominal(lastNominal: number, intervalMs: number, t: number): number {
  const k = Math.max(1, Math.floor((t - lastNominal) / intervalMs) + 1);
  return lastNominal + k * intervalMs;
}

/** A grid slot moved by up to ±jitter/2 of the interval; never before `notBefore`. */
export function jittered(
  nominal: number,
  intervalMs: number,
  jitter: number,
  random: () => number,
  notBefore: number,
): number {
  return Math.max(notBefore, nominal + (random() - 0.5) * jitter * intervalMs);
}

/** Delay before the retry that follows the `failures`-th consecutive failure (failures ≥ 1). */
export function retryDelay(failures: number, retryBaseMs: number, intervalMs: number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30); // 2^30 s is beyond any interval
  return Math.min(retryBaseMs * 2 ** exponent, intervalMs);
}
