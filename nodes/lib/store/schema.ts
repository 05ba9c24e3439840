/**
 * The database layout, one migration per schema version. Times are INTEGER milliseconds since
 * the Unix epoch (UTC); names are snake_case so users can query the file with
 * node-red-node-sqlite's `sqlite` node, e.g.
 * `SELECT datetime(ts/1000,'unixepoch') AS at, code FROM heartbeats WHERE stream_id='door'`.
 * A migration, once released, is never edited: a change is a new entry at the end.
 */

/** Fields shared by the minute, hour and day roll-ups (filled by the roll-up job). */
function rollupTable(name: string): string {
  return `
CREATE TABLE ${name} (
  stream_id    TEXT    NOT NULL,
  bucket       INTEGER NOT NULL,          -- bucket start, ms epoch
  probes       INTEGER NOT NULL,
  failures     INTEGER NOT NULL,
  online_ms    INTEGER NOT NULL,          -- time in state online (durations, not sample counts)
  observed_ms  INTEGER NOT NULL,          -- time covered by heartbeats at all
  latency_sum  INTEGER NOT NULL,
  latency_min  INTEGER,
  latency_max  INTEGER,
  latency_hist BLOB,                      -- fixed-bucket histogram for p50/p95
  PRIMARY KEY (stream_id, bucket)
) WITHOUT ROWID;`;
}

const MIGRATION_1 = `
CREATE TABLE streams (
  id          TEXT    PRIMARY KEY,
  name        TEXT    NOT NULL,
  protocol    TEXT    NOT NULL,
  url         TEXT    NOT NULL,           -- credential-free (util/redact)
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  state_since INTEGER NOT NULL,
  last_code   TEXT,
  health_json TEXT                        -- HealthSnapshot, so 'since' survives a restart
);

-- One table for every stream, clustered on (stream_id, ts): WITHOUT ROWID stores each row once
-- in the primary-key b-tree, where a rowid table would repeat stream_id and ts in an index.
CREATE TABLE heartbeats (
  stream_id      TEXT    NOT NULL,
  ts             INTEGER NOT NULL,        -- probe start, ms epoch
  ok             INTEGER NOT NULL,        -- 1 when video arrived
  code           TEXT    NOT NULL,
  latency_ms     INTEGER NOT NULL,
  first_frame_ms INTEGER,
  state          TEXT    NOT NULL,        -- health state after this probe
  codec          TEXT,
  width          INTEGER,
  height         INTEGER,
  fps            REAL,
  bitrate_kbps   INTEGER,
  message        TEXT,                    -- only for failed probes (an ok message says nothing new)
  PRIMARY KEY (stream_id, ts)
) WITHOUT ROWID;

CREATE TABLE outages (
  id          INTEGER PRIMARY KEY,
  stream_id   TEXT    NOT NULL,
  start_ts    INTEGER NOT NULL,           -- 'start'/'end' are SQL keywords; these need no quoting
  end_ts      INTEGER,                    -- NULL while the outage is open
  duration_ms INTEGER,
  code        TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  UNIQUE (stream_id, start_ts)
);
CREATE INDEX outages_by_start ON outages (start_ts);

${rollupTable('rollup_minute')}
${rollupTable('rollup_hour')}
${rollupTable('rollup_day')}

-- Uptime of the last 24 h from raw heartbeats: each heartbeat's state holds until the next one,
-- capped at 5 min so a stopped monitor is not counted as observed time.
CREATE VIEW v_stream_uptime_24h AS
WITH spans AS (
  SELECT stream_id, state,
         MIN(LEAD(ts) OVER (PARTITION BY stream_id ORDER BY ts) - ts, 300000) AS span_ms
  FROM heartbeats
  WHERE ts >= (CAST(strftime('%s', 'now') AS INTEGER) - 86400) * 1000
)
SELECT s.id AS stream_id, s.name, s.state,
       COALESCE(SUM(CASE WHEN sp.state = 'online' THEN sp.span_ms END), 0) AS online_ms,
       COALESCE(SUM(sp.span_ms), 0) AS observed_ms,
       ROUND(100.0 * SUM(CASE WHEN sp.state = 'online' THEN sp.span_ms ELSE 0 END) / SUM(sp.span_ms), 3) AS uptime_pct
FROM streams s LEFT JOIN spans sp ON sp.stream_id = s.id AND sp.span_ms IS NOT NULL
GROUP BY s.id;
`;

/** Index i holds the script that takes the schema from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [MIGRATION_1];

export const SCHEMA_VERSION = MIGRATIONS.length;
