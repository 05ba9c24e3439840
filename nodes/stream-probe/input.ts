/** What a message into stream-probe asks for (issue 3 "Input"); validation names the field. */
import { validateStreamList } from '../lib/config/index.js';
import type { StreamConfig } from '../lib/config/index.js';

export type Command =
  | { kind: 'all' }
  | { kind: 'id'; id: string }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'stream'; stream: StreamConfig }
  | { kind: 'invalid'; error: string };

/**
 * Empty payloads, and the timestamp or boolean an inject node sends by default, probe everything;
 * a string is a stream id; `{command}` pauses or resumes; an object with a `url` is probed once.
 */
export function parseCommand(payload: unknown): Command {
  if (payload === undefined || payload === null || payload === '' || typeof payload === 'number' || typeof payload === 'boolean') {
    return { kind: 'all' };
  }
  if (typeof payload === 'string') return { kind: 'id', id: payload.trim() };
  if (typeof payload !== 'object' || Array.isArray(payload)) return { kind: 'invalid', error: `unexpected ${Array.isArray(payload) ? 'array' : typeof payload}` };
  const record = payload as Record<string, unknown>;
  if ('command' in record) {
    if (record.command === 'pause' || record.command === 'resume') return { kind: record.command };
    return { kind: 'invalid', error: `msg.payload.command must be "pause" or "resume"` };
  }
  if (Object.keys(record).length === 0) return { kind: 'all' };
  const checked = validateStreamList([record], 'msg.payload');
  if (!checked.ok) return { kind: 'invalid', error: checked.errors.join('; ') };
  const stream = checked.streams[0];
  return stream ? { kind: 'stream', stream } : { kind: 'invalid', error: 'no stream' };
}
