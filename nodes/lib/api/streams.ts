import { latestHeartbeats } from '../store/fleet.js';
import { currentStates, latencyPercentiles, uptime } from '../store/queries.js';
import type { StreamState } from '../store/queries.js';
import type { Db } from '../store/db.js';
import { fleetUptimes } from './fleet-cache.js';
import { DAY_MS } from './params.js';
import { heartbeatJson, latencyJson, streamJson, uptimeJson } from './present.js';
import { HttpError, iso, json } from './respond.js';
import type { ApiContext, ApiResponse } from './types.js';

/** GET /api/streams: every stream with its state, last heartbeat and 24 h / 7 d uptime. */
export async function listStreams(ctx: ApiContext): Promise<ApiResponse> {
  const now = ctx.now();
  // States and last heartbeats are cheap (a seek per stream) and always fresh; the uptimes may
  // be up to uptimeMaxAgeMs old (see fleet-cache.ts) and say when they were computed.
  const states = await currentStates(ctx.db);
  const latest = await latestHeartbeats(ctx.db);
  const uptimes = await fleetUptimes(ctx);
  const streams = states.map((s) => {
    const last = latest.get(s.id);
    return {
      ...streamJson(s),
      last: last ? heartbeatJson(last) : null,
      // null until the first fleet computation is done (see fleet-cache.ts).
      uptime: uptimes
        ? { '24h': uptimeJson(uptimes.day.get(s.id)), '7d': uptimeJson(uptimes.week.get(s.id)) }
        : { '24h': null, '7d': null },
    };
  });
  return json({
    generatedAt: iso(now),
    timezone: ctx.timezone ?? null,
    uptimeComputedAt: iso(uptimes?.computedAt),
    count: streams.length,
    streams,
  });
}

/** GET /api/streams/:id: one stream's state, uptime 24 h / 7 d / 30 d, latency 24 h, last heartbeat. */
export async function streamDetail(ctx: ApiContext, id: string): Promise<ApiResponse> {
  const now = ctx.now();
  const state = await requireStream(ctx.db, id);
  const last = (await latestHeartbeats(ctx.db, id)).get(id);
  const window = async (days: number): Promise<ReturnType<typeof uptimeJson>> =>
    uptimeJson(await uptime(ctx.db, id, now - days * DAY_MS, now));
  return json({
    generatedAt: iso(now),
    timezone: ctx.timezone ?? null,
    stream: {
      ...streamJson(state),
      last: last ? heartbeatJson(last) : null,
      uptime: { '24h': await window(1), '7d': await window(7), '30d': await window(30) },
      latency24h: latencyJson(await latencyPercentiles(ctx.db, id, now - DAY_MS, now)),
    },
  });
}

/** The stream's row, or a 404 JSON answer. */
export async function requireStream(db: Db, id: string): Promise<StreamState> {
  const row = await db.get<{
    id: string; name: string; protocol: string; url: string; state: string;
    state_since: number; first_seen: number; last_seen: number; last_code: string | null;
  }>('SELECT id, name, protocol, url, state, state_since, first_seen, last_seen, last_code FROM streams WHERE id = ?', [id]);
  if (!row) throw new HttpError(404, `stream not found: ${id}`);
  return {
    id: row.id, name: row.name, protocol: row.protocol, url: row.url, state: row.state,
    since: row.state_since, firstSeen: row.first_seen, lastSeen: row.last_seen, lastCode: row.last_code,
  };
}
