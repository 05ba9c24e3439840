import { ROLLUP_LEVELS } from '../store/rollup.js';
import type { RollupLevel } from '../store/rollup.js';
import { BadRequest } from './respond.js';

/** Validation of query parameters and path parts; every failure names the parameter. */

export const DAY_MS = 86_400_000;
export const MAX_LIMIT = 10_000;
/** The `id` pattern of nodes/lib/config/streams.schema.json. */
export const STREAM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Year 0000 to 9999: every instant an ISO-8601 string with a four-digit year can name. */
const EARLIEST_MS = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');

// Date.parse also accepts RFC 2822 and implementation-specific text; only ISO-8601 (the
// RFC 3339 profile plus date-only and basic offsets) is let through first.
// https://www.rfc-editor.org/rfc/rfc3339#section-5.6
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The single value of `name`, or undefined; a repeated parameter is an error, not a guess. */
export function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new BadRequest(name, 'given more than once');
  return values[0];
}

/**
 * ms epoch (digits) or ISO-8601. A date-time without an offset is read as UTC (not as the
 * server's local time, which would make the same URL mean different instants on different hosts).
 */
export function parseTime(name: string, raw: string): number {
  const text = raw.trim();
  let ms: number;
  if (/^-?\d{1,16}$/.test(text)) ms = Number(text);
  else {
    const match = ISO_TIME.exec(text);
    if (!match || !realDate(text)) throw new BadRequest(name, 'not a time (ISO-8601 or ms epoch)');
    // Bring it to the one form ECMAScript's Date.parse must accept (YYYY-MM-DDTHH:mm:ss.sssZ or
    // ±HH:mm): 'T', three fraction digits, a colon in the offset, and Z when none was given.
    // https://tc39.es/ecma262/#sec-date-time-string-format
    let normal = text.toUpperCase().replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
    if (normal.includes('T') && match[1] === undefined) normal += 'Z';
    ms = Date.parse(normal);
  }
  if (!Number.isFinite(ms)) throw new BadRequest(name, 'not a time (ISO-8601 or ms epoch)');
  if (ms < EARLIEST_MS || ms > LATEST_MS) throw new BadRequest(name, 'out of range (years 0000 to 9999)');
  return ms;
}

/** Date.parse rolls 2026-02-30 over into March; a date that does not exist is refused instead. */
function realDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !leapYear(year) ? 1 : 0);
  return day <= days;
}

function leapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** `from` and `to`; by default the `defaultSpanMs` (24 h) before `to`, which defaults to now. */
export function timeRange(query: URLSearchParams, nowMs: number, defaultSpanMs = DAY_MS): TimeRange {
  const fromRaw = single(query, 'from');
  const toRaw = single(query, 'to');
  const toMs = toRaw === undefined || toRaw === '' ? nowMs : parseTime('to', toRaw);
  const fromMs = fromRaw === undefined || fromRaw === '' ? toMs - defaultSpanMs : parseTime('from', fromRaw);
  if (!(fromMs < toMs)) throw new BadRequest('from', 'must be before to');
  return { fromMs, toMs };
}

/** A positive integer, at most `cap` (larger values are lowered to the cap, not refused). */
export function limit(query: URLSearchParams, fallback: number, cap = MAX_LIMIT): number {
  const raw = single(query, 'limit');
  if (raw === undefined || raw === '') return Math.min(fallback, cap);
  if (!/^\d{1,12}$/.test(raw.trim())) throw new BadRequest('limit', 'not a positive integer');
  const n = Number(raw.trim());
  if (n < 1) throw new BadRequest('limit', 'not a positive integer');
  return Math.min(n, cap);
}

export function streamId(name: string, raw: string): string {
  if (!STREAM_ID_PATTERN.test(raw)) throw new BadRequest(name, `not a stream id (${STREAM_ID_PATTERN.source})`);
  return raw;
}

/** Every `stream` parameter, validated, without duplicates, sorted; empty means all streams. */
export function streamIds(query: URLSearchParams, name = 'stream'): string[] {
  const ids = new Set<string>();
  for (const raw of query.getAll(name)) {
    for (const part of raw.split(',')) if (part !== '') ids.add(streamId(name, part));
  }
  return [...ids].sort();
}

export function level(query: URLSearchParams, fallback: RollupLevel = 'hour'): RollupLevel {
  const raw = single(query, 'level');
  if (raw === undefined || raw === '') return fallback;
  const found = ROLLUP_LEVELS.find((l) => l === raw);
  if (!found) throw new BadRequest('level', `must be one of ${ROLLUP_LEVELS.join(', ')}`);
  return found;
}
