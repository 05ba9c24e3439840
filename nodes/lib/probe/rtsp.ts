/**
 * RTSP and RTSPS probe: one session per attempt, one redirect followed (RFC 2326 §11.3.3).
 * See ./rtsp/session.ts for the exchange itself.
 */
import { ProbeError } from '../util/errors.js';
import { Redirect, RtspSession } from './rtsp/session.js';
import type { Outcome, ProbeContext } from './types.js';

export async function probeRtsp(ctx: ProbeContext): Promise<Outcome> {
  ctx.facts.protocol = ctx.url.protocol === 'rtsps:' ? 'rtsps' : 'rtsp';
  let url = ctx.url;
  for (let attempt = 0; ; attempt++) {
    const session = new RtspSession(ctx, url);
    try {
      return await session.run();
    } catch (err) {
      if (!(err instanceof Redirect)) throw err;
      if (attempt > 0) throw new ProbeError('protocol_error', `camera redirected twice (last to ${err.location.host}${err.location.pathname})`);
      url = err.location;
    } finally {
      session.close();
    }
  }
}
