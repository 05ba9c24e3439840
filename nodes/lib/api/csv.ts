import type { Db } from '../store/db.js';
import { redactText } from '../util/redact.js';
import * as params from './params.js';
import { iso, withCommonHeaders } from './respond.js';
import type { ApiContext, ApiResponse } from './types.js';

/**
 * GET /api/export.csv?stream=a&stream=b&from&to: raw heartbeats as CSV (RFC 4180), streamed a
 * page at a time so an export of millions of rows holds one page in memory.
 */

/** Rows per query: one page of keyset paging on the (stream_id, ts) primary key. */
export const CSV_PAGE_ROWS = 2000;

const COLUMNS = [
  'time', 'stream_id', 'stream_name', 'ok', 'code', 'state', 'latency_ms', 'first_frame_ms',
  'codec', 'width', 'height', 'fps', 'bitrate_kbps', 'message',
] as const;

// RFC 4180 §2: records end with CRLF. https://www.rfc-editor.org/rfc/rfc4180#section-2
const EOL = '\r\n';

/**
 * One cell, safe to open in a spreadsheet. A value starting with = + - @ (or tab / CR, which some
 * spreadsheets skip before reading a formula) is a formula to Excel, LibreOffice and Google
 * Sheets, so a camera named `=HYPERLINK(…)` would run when the file is opened; a leading single
 * quote makes it text (https://owasp.org/www-community/attacks/CSV_Injection). Then RFC 4180
 * quoting: a cell with a quote, comma, CR or LF is enclosed in quotes, inner quotes doubled.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly (string | number | boolean | null)[]): string {
  return cells.map(csvCell).join(',') + EOL;
}

interface ExportRow {
  stream_id: string; name: string; ts: number; ok: number; code: string; state: string; latency_ms: number;
  first_frame_ms: number | null; codec: string | null; width: number | null; height: number | null;
  fps: number | null; bitrate_kbps: number | null; message: string | null;
}

// Keyset paging: each page starts after the last (stream_id, ts) of the previous one, so a page
// costs a seek, not an OFFSET walk over everything already sent. The ids come as an IN list (from
// JSON) even for "all streams": with `s.id` bound by equality SQLite reads each stream's rows in
// primary-key order and stops at the LIMIT; with a range on `s.id` it sorts each stream's whole
// window first (EXPLAIN QUERY PLAN: "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY").
const PAGE_SQL = `SELECT s.id AS stream_id, s.name, h.ts, h.ok, h.code, h.state,
    h.latency_ms, h.first_frame_ms, h.codec, h.width, h.height, h.fps, h.bitrate_kbps, h.message
  FROM streams s CROSS JOIN heartbeats h
    ON h.stream_id = s.id AND h.ts >= MAX(?3, CASE WHEN s.id = ?1 THEN ?2 ELSE ?3 END) AND h.ts < ?4
  WHERE s.id IN (SELECT value FROM json_each(?6))
  ORDER BY s.id, h.ts LIMIT ?5`;

/**
 * The CSV text: the header first (before any query, so the download starts at once), then one
 * chunk per page. Stops after the page that comes back short; stopping the iteration early
 * (`return()`) runs no further query. `streamIds` empty means every stream.
 */
export async function* csvChunks(
  db: Db, streamIds: readonly string[], fromMs: number, toMs: number, pageRows = CSV_PAGE_ROWS,
): AsyncGenerator<string, void, undefined> {
  yield csvLine(COLUMNS);
  // Both lists are in SQLite's byte order (the filter is ASCII by the id pattern), which the
  // cursor relies on.
  const ids = streamIds.length > 0
    ? [...streamIds].sort()
    : (await db.all<{ id: string }>('SELECT id FROM streams ORDER BY id')).map((r) => r.id);
  // Cursor: the stream of the last row sent and the first ts still to send in it (ts are integers).
  let at = 0;
  let cursorTs = fromMs;
  while (at < ids.length) {
    // Only the streams from the cursor on: the list shrinks as the export advances.
    const rest = ids.slice(at);
    const rows = await db.all<ExportRow>(PAGE_SQL, [rest[0] ?? '', cursorTs, fromMs, toMs, pageRows, JSON.stringify(rest)]);
    if (rows.length === 0) return;
    let chunk = '';
    for (const r of rows) {
      chunk += csvLine([
        iso(r.ts), r.stream_id, r.name, r.ok === 1, r.code, r.state, r.latency_ms, r.first_frame_ms,
        r.codec, r.width, r.height, r.fps, r.bitrate_kbps, r.message === null ? null : redactText(r.message),
      ]);
    }
    const last = rows[rows.length - 1];
    yield chunk;
    if (rows.length < pageRows || !last) return;
    at = ids.indexOf(last.stream_id, at);
    if (at < 0) return;
    cursorTs = last.ts + 1;
  }
}

/** The export response; parameters are checked here, so a bad one is a 400, not a broken download. */
export function exportCsv(ctx: ApiContext, query: URLSearchParams): ApiResponse {
  const ids = params.streamIds(query);
  const { fromMs, toMs } = params.timeRange(query, ctx.now());
  const stamp = (ms: number): string => (iso(ms) ?? '').replace(/[-:]/g, '').replace(/\.\d+/, '');
  const scope = ids.length === 1 ? ids[0] ?? 'all' : ids.length === 0 ? 'all' : `${ids.length}-streams`;
  return {
    status: 200,
    headers: withCommonHeaders({
      'Content-Type': 'text/csv; charset=utf-8',
      // Only [a-z0-9_-] and the stamp's [0-9TZ] go into the name, so no quoting issue arises.
      'Content-Disposition': `attachment; filename="streampulse-${scope}-${stamp(fromMs)}-${stamp(toMs)}.csv"`,
    }),
    body: csvChunks(ctx.db, ids, fromMs, toMs),
  };
}
