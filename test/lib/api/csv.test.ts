import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CSV_PAGE_ROWS, csvCell, csvChunks } from '../../../nodes/lib/api/csv.js';
import type { Db, SqlParams } from '../../../nodes/lib/store/db.js';
import { T0, tempDir } from '../store/fixtures/heartbeats.js';
import type { TempDir } from '../store/fixtures/heartbeats.js';
import { freshStore, insertSchedule } from '../store/fixtures/schedule.js';
import { DAY, ESCAPE_NAME, HOSTILE_NAME, INJECTIONS, NOW, apiFixture, collect, request } from './fixtures.js';
import type { ApiFixture } from './fixtures.js';

/** RFC 4180 reader for the checks: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      assert.ok(c !== '\r' && c !== '\n' && c !== '"', `bare ${JSON.stringify(c)} at ${i}`);
      cell += c;
    }
  }
  assert.equal(cell + row.join(''), '', 'the text ends with CRLF');
  return rows;
}

/** Counts the statements a Db runs through `all`, synchronously (trace events arrive late). */
function countQueries(db: Db): { calls: number; maxRows: number } {
  const counter = { calls: 0, maxRows: 0 };
  const all = db.all.bind(db);
  db.all = async <T>(sql: string, params?: SqlParams): Promise<T[]> => {
    counter.calls++;
    const rows = await all<T>(sql, params);
    counter.maxRows = Math.max(counter.maxRows, rows.length);
    return rows;
  };
  return counter;
}

describe('CSV cells', () => {
  it('neutralises formula starts with a single quote', () => {
    for (const start of ['=', '+', '-', '@']) assert.equal(csvCell(`${start}1+1`), `'${start}1+1`);
    assert.equal(csvCell('\tcmd'), "'\tcmd");
    assert.equal(csvCell('\rcmd'), '"\'\rcmd"', 'CR also needs quotes');
    assert.equal(csvCell('=HYPERLINK("http://x","y")'), '"\'=HYPERLINK(""http://x"",""y"")"');
    assert.equal(csvCell(-5), "'-5");
    assert.equal(csvCell('a=b'), 'a=b', 'only a leading character matters');
    assert.equal(csvCell(' =x'), ' =x');
  });

  it('quotes per RFC 4180 only where needed', () => {
    assert.equal(csvCell('plain text'), 'plain text');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(true), 'true');
    assert.equal(csvCell(25.5), '25.5');
  });
});

describe('GET /api/export.csv', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
  });
  after(async () => {
    await f.close();
  });

  it('streams the chosen streams as CSV with ISO times, hostile cells neutralised', async () => {
    const res = await request(f.ctx, '/api/export.csv', `stream=yard&stream=esc&from=${T0}&to=${NOW}`);
    assert.ok(res);
    assert.equal(res.status, 200);
    assert.equal(res.headers['Content-Type'], 'text/csv; charset=utf-8');
    assert.equal(res.headers['Cache-Control'], 'no-store');
    assert.equal(
      res.headers['Content-Disposition'],
      'attachment; filename="streampulse-2-streams-20260101T000000Z-20260104T000012Z.csv"',
    );
    const rows = parseCsv(res.text);
    assert.deepEqual(rows[0], [
      'time', 'stream_id', 'stream_name', 'ok', 'code', 'state', 'latency_ms', 'first_frame_ms',
      'codec', 'width', 'height', 'fps', 'bitrate_kbps', 'message',
    ]);
    const data = rows.slice(1);
    assert.equal(data.length, 60 + 24 * 60);
    assert.deepEqual([...new Set(data.map((r) => r[1]))], ['esc', 'yard'], 'ordered by stream, then time');
    for (const r of data) assert.match(r[0] ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const esc = data.filter((r) => r[1] === 'esc');
    assert.equal(esc[0]?.[2], ESCAPE_NAME, 'quotes and line feeds survive the round trip');
    const yard = data.filter((r) => r[1] === 'yard');
    assert.ok(yard.every((r) => r[2] === `'${HOSTILE_NAME}`), 'the name cannot run as a formula');
    const messages = new Set(yard.map((r) => r[13]).filter((m) => m !== ''));
    const neutral = (m: string): string => (/^[=+\-@\t\r]/.test(m) ? `'${m}` : m);
    assert.deepEqual(messages, new Set(INJECTIONS.map(neutral)));
    assert.ok(data.every((r) => !/^[=+\-@\t\r]/.test(r.join(''))), 'no row starts a formula');
    assert.ok(data.every((r) => r.every((cell) => !/^[=+\-@\t\r]/.test(cell))), 'no cell starts a formula');
    const ok = yard.find((r) => r[3] === 'true');
    assert.deepEqual(ok?.slice(3, 13), ['true', 'ok', 'online', ok?.[6], '150', 'h264', '1920', '1080', '25', '4096']);
  });

  it('exports every stream without a filter, and only a header for an unknown one', async () => {
    const all = parseCsv((await request(f.ctx, '/api/export.csv', `from=${T0}&to=${NOW}`))?.text ?? '');
    assert.deepEqual([...new Set(all.slice(1).map((r) => r[1]))], ['esc', 'gate', 'pw', 'yard']);
    assert.ok(!all.some((r) => r.join(',').includes('secret')));
    const none = await request(f.ctx, '/api/export.csv', 'stream=nobody');
    assert.equal(parseCsv(none?.text ?? '').length, 1);
    const day = parseCsv((await request(f.ctx, '/api/export.csv', 'stream=gate'))?.text ?? '');
    assert.equal(day.length - 1, 24 * 60, 'default window: the last 24 h');
  });

  it('pages by (stream, time) without losing or repeating a row at page edges', async () => {
    const whole = await collect(csvChunks(f.db, [], T0, NOW, 1_000_000));
    const paged = await collect(csvChunks(f.db, [], T0, NOW, 7));
    assert.equal(paged, whole);
    const filtered = await collect(csvChunks(f.db, ['gate', 'pw'], T0, NOW, 13));
    assert.equal(parseCsv(filtered).length - 1, 3 * 24 * 60 + 1 + 10);
  });
});

describe('CSV export of 100,000 rows', () => {
  let dir: TempDir;
  let db: Db;
  const END = T0 + 10 * DAY;
  before(async () => {
    dir = tempDir();
    db = await freshStore(dir.file('big.db'));
    await insertSchedule(db, 'big-a', T0, T0 + 50_000 * 15_000, 15_000, () => 'online');
    await insertSchedule(db, 'big-b', T0, T0 + 50_000 * 15_000, 15_000, (ts) => (ts % 7 === 0 ? 'offline' : 'online'));
  });
  after(async () => {
    await db.close();
    dir.remove();
  });

  it('sends the first rows before the last query and holds one page in memory', async (t) => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const counter = countQueries(db);
    gc();
    const base = process.memoryUsage().heapUsed;
    let maxRetained = 0;
    let chunks = 0;
    let rows = -1; // the header line
    let bytes = 0;
    let queriesAtFirstRows = -1;
    for await (const chunk of csvChunks(db, ['big-a', 'big-b'], T0, END)) {
      chunks++;
      if (chunks === 1) assert.equal(counter.calls, 0, 'the header goes out before any query');
      if (chunks === 2) queriesAtFirstRows = counter.calls;
      rows += chunk.split('\r\n').length - 1;
      bytes += chunk.length;
      if (chunks % 5 === 0) {
        gc();
        maxRetained = Math.max(maxRetained, process.memoryUsage().heapUsed - base);
      }
    }
    assert.equal(rows, 100_000);
    assert.equal(queriesAtFirstRows, 1, 'rows arrive after the first page, not after the last');
    assert.equal(counter.calls, Math.ceil(100_000 / CSV_PAGE_ROWS) + 1, 'one query per page plus the empty end');
    assert.ok(counter.maxRows <= CSV_PAGE_ROWS);
    // The whole export is ~9 MB of text and far more as row objects; one page is ~1 MB.
    assert.ok(bytes > 8_000_000, `export size ${bytes}`);
    t.diagnostic(`retained at most ${maxRetained} bytes while streaming ${bytes} bytes`);
    assert.ok(maxRetained < 6_000_000, `retained ${maxRetained} bytes while streaming`);
  });

  it('stops querying when the consumer stops iterating', async () => {
    const counter = countQueries(db);
    const iterator = csvChunks(db, [], T0, END);
    let chunks = 0;
    for await (const chunk of iterator) {
      assert.ok(chunk.length > 0);
      if (++chunks === 3) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The list of streams, then two pages: nothing after the consumer left.
    assert.equal(counter.calls, 3);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.equal(counter.calls, 3);
  });
});
