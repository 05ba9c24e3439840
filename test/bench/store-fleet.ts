/**
 * The store benchmark's fleet builder: copies the template streams' real rows (store-gen.ts) to N
 * streams with bulk SQL, keeping exactly what a retention policy would keep, then VACUUMs and
 * measures the file (page_count × page_size, and dbstat per table).
 *
 * Only `stream_id` (and the stream's name and URL) change in a copy: every other byte of every
 * row — roll-up sketch BLOBs included — is the template's, i.e. what the real writer and
 * rollUpAll produced. Rows go in in primary-key order, so the bulk insert appends.
 */
import { rmSync } from 'node:fs';
import { Db } from '../../nodes/lib/store/db.js';
import { applyRetention } from '../../nodes/lib/store/retention.js';
import type { RetentionPolicy, RetentionResult } from '../../nodes/lib/store/retention.js';
import { openStore } from '../../nodes/lib/store/writer.js';
import { LEVEL_TABLES, columnsOf, templateId } from './store-gen.js';
import type { Profile } from './store-gen.js';

export interface FleetStream {
  id: string;
  name: string;
  url: string;
  template: string;
  profile: string;
}

/** `n` split by `shares` (which add up to 1) with largest remainders, so the counts add up to n. */
function splitByShare(n: number, shares: readonly number[]): number[] {
  const exact = shares.map((share) => share * n);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < n; k++) {
    const i = order[k % order.length]?.[1] ?? 0;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

/**
 * N streams split between the profiles by their shares, interleaved in id order (each
 * profile's streams evenly spaced).
 */
export function planFleet(n: number, profiles: readonly Profile[]): FleetStream[] {
  const counts = splitByShare(n, profiles.map((p) => p.share));
  const slots: { at: number; profile: Profile }[] = [];
  profiles.forEach((profile, i) => {
    const c = counts[i] ?? 0;
    for (let j = 0; j < c; j++) slots.push({ at: (j + 0.5) / c, profile });
  });
  slots.sort((a, b) => a.at - b.at);
  return slots.map(({ profile }, i) => {
    const n4 = String(i + 1).padStart(4, '0');
    return {
      id: `camera-${n4}`,
      name: `Camera ${n4}`,
      url: `rtsp://10.1.${Math.floor(i / 250)}.${(i % 250) + 2}:554/Streaming/Channels/101`,
      template: templateId(profile),
      profile: profile.name,
    };
  });
}

/**
 * `n` stream ids (all for 0) in the fleet's mix: a fixed stride over interleaved ids can alias
 * with the interleaving and pick only some profiles, so each profile gets its share, spread
 * over its own streams.
 */
export function sampleFleet(fleet: readonly FleetStream[], profiles: readonly Profile[], n: number): string[] {
  if (n === 0 || n >= fleet.length) return fleet.map((s) => s.id);
  const counts = splitByShare(n, profiles.map((p) => p.share));
  return profiles.flatMap((profile, i) => {
    const members = fleet.filter((s) => s.profile === profile.name);
    const c = Math.min(counts[i] ?? 0, members.length);
    return Array.from({ length: c }, (_, k) => members[Math.floor((k * members.length) / c)]?.id ?? '');
  }).sort();
}

export interface FleetBuild {
  /** Rows per table, as copied. */
  rows: Record<string, number>;
  /** The real applyRetention run on the copy afterwards: it should find nothing to delete. */
  retention: RetentionResult;
  copyMs: number;
  retentionMs: number;
  vacuumMs: number;
  bytesBeforeVacuum: number;
}

/** Builds `file` for `fleet` from the template history under `policy` as of `endMs`, VACUUMed. */
export async function buildFleet(
  file: string, templateFile: string, fleet: readonly FleetStream[], policy: RetentionPolicy, endMs: number,
): Promise<FleetBuild> {
  const buildFile = `${file}.build`;
  const db = await openStore(buildFile);
  try {
    // Bulk generation, not a measured path: no WAL, no fsync; VACUUM INTO writes the final file.
    await db.get('PRAGMA journal_mode=DELETE');
    await db.exec('PRAGMA synchronous=OFF; PRAGMA cache_size=-65536');
    await db.run('ATTACH DATABASE ? AS tpl', [templateFile]);
    const t0 = performance.now();
    await db.exec(`CREATE TEMP TABLE fleet_map (id TEXT PRIMARY KEY, name TEXT NOT NULL, url TEXT NOT NULL,
      tpl TEXT NOT NULL) WITHOUT ROWID`);
    const rows: Record<string, number> = {};
    await db.transaction(async () => {
      await db.withStatement('INSERT INTO temp.fleet_map VALUES (?, ?, ?, ?)', async (insert) => {
        for (const s of fleet) await insert.run([s.id, s.name, s.url, s.template]);
      });
      rows.streams = await copyStreams(db);
      for (const { level, table, time } of LEVEL_TABLES) {
        const keep = { raw: policy.rawMs, minute: policy.minuteMs, hour: policy.hourMs, day: policy.dayMs }[level];
        rows[table] = await copyKeyed(db, fleet, table, time, endMs - keep);
      }
      rows.outages = await copyOutages(db, fleet, endMs - policy.outageMs);
    });
    const copyMs = performance.now() - t0;
    await db.exec('DETACH DATABASE tpl');
    const t1 = performance.now();
    const retention = await applyRetention(db, policy, endMs);
    const retentionMs = performance.now() - t1;
    const bytesBeforeVacuum = await fileBytes(db);
    rmSync(file, { force: true });
    const t2 = performance.now();
    await db.run('VACUUM INTO ?', [file]);
    return { rows, retention, copyMs, retentionMs, vacuumMs: performance.now() - t2, bytesBeforeVacuum };
  } finally {
    await db.close();
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${buildFile}${suffix}`, { force: true });
  }
}

async function copyStreams(db: Db): Promise<number> {
  const columns = await columnsOf(db, 'streams');
  const own: Record<string, string> = { id: 'm.id', name: 'm.name', url: 'm.url', health_json: 'replace(s.health_json, s.id, m.id)' };
  const select = columns.map((c) => own[c] ?? `s.${c}`).join(', ');
  const sql = `INSERT INTO main.streams (${columns.join(', ')}) SELECT ${select}
    FROM temp.fleet_map m CROSS JOIN tpl.streams s ON s.id = m.tpl ORDER BY m.id`;
  return (await db.run(sql)).changes;
}

/** Copies every template row with `time` ≥ cutoff (what applyRetention keeps) to its fleet streams. */
async function copyKeyed(db: Db, fleet: readonly FleetStream[], table: string, time: string, cutoff: number): Promise<number> {
  const columns = await columnsOf(db, table);
  const select = columns.map((c) => (c === 'stream_id' ? 'm.id' : `r.${c}`)).join(', ');
  // CROSS JOIN keeps fleet_map (in id order) outside: each stream is a range seek, rows arrive in key order.
  const sql = `INSERT INTO main.${table} (${columns.join(', ')}) SELECT ${select}
    FROM temp.fleet_map m CROSS JOIN tpl.${table} r ON r.stream_id = m.tpl AND r.${time} >= ?
    ORDER BY m.id, r.${time}`;
  const copied = (await db.run(sql, [cutoff])).changes;
  const expected = await perTemplateTimesFleet(db, fleet, `SELECT stream_id, COUNT(*) AS n FROM tpl.${table} WHERE ${time} >= ? GROUP BY stream_id`, cutoff);
  if (copied !== expected) throw new Error(`${table}: copied ${copied} rows, expected ${expected}`);
  return copied;
}

/** Outages applyRetention keeps: open ones, and closed ones that ended at or after the cutoff. */
async function copyOutages(db: Db, fleet: readonly FleetStream[], cutoff: number): Promise<number> {
  const keep = '(o.start_ts >= ?1 OR o.end_ts IS NULL OR o.end_ts >= ?1)';
  // In order of start, as a live monitor inserts them (ids follow time).
  const sql = `INSERT INTO main.outages (stream_id, start_ts, end_ts, duration_ms, code, message)
    SELECT m.id, o.start_ts, o.end_ts, o.duration_ms, o.code, o.message
    FROM temp.fleet_map m CROSS JOIN tpl.outages o ON o.stream_id = m.tpl AND ${keep}
    ORDER BY o.start_ts, m.id`;
  const copied = (await db.run(sql, [cutoff])).changes;
  const expected = await perTemplateTimesFleet(db, fleet, `SELECT stream_id, COUNT(*) AS n FROM tpl.outages o WHERE ${keep} GROUP BY stream_id`, cutoff);
  if (copied !== expected) throw new Error(`outages: copied ${copied} rows, expected ${expected}`);
  return copied;
}

async function perTemplateTimesFleet(db: Db, fleet: readonly FleetStream[], sql: string, cutoff: number): Promise<number> {
  const perTemplate = new Map((await db.all<{ stream_id: string; n: number }>(sql, [cutoff])).map((r) => [r.stream_id, r.n]));
  return fleet.reduce((sum, s) => sum + (perTemplate.get(s.template) ?? 0), 0);
}

async function fileBytes(db: Db): Promise<number> {
  const row = await db.get<{ n: number }>('SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS n');
  return row?.n ?? 0;
}

export interface TableSize {
  /** Pages of the table and its indexes, in bytes. */
  bytes: number;
  /** Bytes of row content in them (the rest is page headers, cell pointers, free space). */
  payload: number;
}

export interface SizeReport {
  fileBytes: number;
  pageSize: number;
  freePages: number;
  /** Per table (indexes counted with their table; sqlite_schema under its own name). */
  tables: Record<string, TableSize>;
}

/** page_count × page_size and dbstat per table of a (VACUUMed) file. */
export async function measureSize(file: string): Promise<SizeReport> {
  const db = await Db.open(file, { readOnly: true });
  try {
    const page = await db.get<{ size: number; free: number }>(
      'SELECT (SELECT page_size FROM pragma_page_size) AS size, (SELECT freelist_count FROM pragma_freelist_count) AS free',
    );
    // dbstat's aggregate mode: one row per b-tree, pageno = its page count (https://www.sqlite.org/dbstat.html).
    const rows = await db.all<{ tbl: string; bytes: number; payload: number }>(
      `SELECT COALESCE(s.tbl_name, d.name) AS tbl, SUM(d.pgsize) AS bytes, SUM(d.payload) AS payload
       FROM dbstat('main', 1) AS d LEFT JOIN sqlite_schema AS s ON s.name = d.name GROUP BY tbl`,
    );
    const tables: Record<string, TableSize> = {};
    for (const r of rows) tables[r.tbl] = { bytes: r.bytes, payload: r.payload };
    return { fileBytes: await fileBytes(db), pageSize: page?.size ?? 0, freePages: page?.free ?? 0, tables };
  } finally {
    await db.close();
  }
}
