import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadStreamsFile, parseStreamsConfig, validateStreamList } from '../../../nodes/lib/config/load.js';
import type { LoadResult, StreamsConfig } from '../../../nodes/lib/config/types.js';
import { FIXTURES, lineContaining } from './helpers.js';

function expectOk(result: LoadResult): { config: StreamsConfig; warnings: string[] } {
  if (!result.ok) assert.fail(`expected a valid file, got:\n${result.errors.join('\n')}`);
  return result;
}

function expectErrors(result: LoadResult): string[] {
  if (result.ok) assert.fail('expected errors, the file was accepted');
  return result.errors;
}

/** A valid list with `extra` lines appended inside the 4th stream (streams[3]). */
function fourStreams(extra: string[] = [], url = 'rtsp://10.0.0.4/live'): string {
  return [
    'heartbeat_seconds: 15',
    'streams:',
    '  - name: One',
    '    url: rtsp://10.0.0.1/live',
    '  - name: Two',
    '    url: rtsp://10.0.0.2/live',
    '  - name: Three',
    '    url: http://10.0.0.3/video.mjpg',
    '  - name: Four',
    `    url: ${url}`,
    ...extra.map((l) => `    ${l}`),
    '',
  ].join('\n');
}

describe('parseStreamsConfig: the StreamPulse v2.2 format', () => {
  it('accepts the old file as is and fills every default', () => {
    const text = readFileSync(join(FIXTURES, 'streampulse-v2.2.yaml'), 'utf8');
    const { config, warnings } = expectOk(parseStreamsConfig(text, 'streams.yaml', {}));
    assert.deepEqual(warnings, []);
    assert.equal(config.heartbeatSeconds, 30);
    assert.equal(config.timezone, 'Europe/Berlin');
    assert.deepEqual(
      config.streams.map((s) => s.id),
      ['front_door', 'garage', 'garden_mjpeg', 'einfahrt_sud'],
    );
    assert.deepEqual(config.streams[0], {
      id: 'front_door',
      name: 'Front Door',
      url: 'rtsp://192.168.1.20:554/stream1',
      intervalMs: 30_000,
      timeoutMs: 10_000,
      verify: 'auto',
      enabled: true,
      transport: 'auto',
      kind: 'auto',
      tags: [],
      tlsVerify: false,
    });
  });

  it('accepts the inline example of the issue', () => {
    const text = 'heartbeat_seconds: 30\ntimezone: Europe/Berlin\nstreams:\n  - name: Front Door\n    url: rtsp://cam.local/stream\n';
    const { config } = expectOk(parseStreamsConfig(text, 'streams.yaml', {}));
    assert.equal(config.streams.length, 1);
    assert.equal(config.streams[0]?.intervalMs, 30_000);
  });

  it('defaults heartbeat_seconds to 15 and allows an empty list', () => {
    const { config } = expectOk(parseStreamsConfig('streams: []\n', 's.yaml', {}));
    assert.equal(config.heartbeatSeconds, 15);
    assert.equal(config.timezone, undefined);
    assert.deepEqual(config.streams, []);
  });

  it('timeout defaults to the smaller of 10 s and the interval', () => {
    const text = 'streams:\n  - {name: a, url: "rtsp://a/x", interval: 4}\n  - {name: b, url: "rtsp://b/x", interval: 60}\n';
    const { config } = expectOk(parseStreamsConfig(text, 's.yaml', {}));
    assert.deepEqual(
      config.streams.map((s) => [s.intervalMs, s.timeoutMs]),
      [
        [4000, 4000],
        [60_000, 10_000],
      ],
    );
  });
});

describe('parseStreamsConfig: extensions', () => {
  const text = readFileSync(join(FIXTURES, 'extended.yaml'), 'utf8');

  it('reads every extension and resolves ${ENV} passwords', () => {
    const { config, warnings } = expectOk(parseStreamsConfig(text, 'extended.yaml', { PORCH_PASSWORD: 'pa55' }));
    assert.deepEqual(warnings, []);
    const [porch, lobby, snapshot] = config.streams;
    assert.deepEqual(porch, {
      id: 'porch',
      name: 'Porch (renamed)',
      url: 'rtsps://nvr.local:322/porch',
      username: 'viewer',
      password: 'pa55',
      intervalMs: 10_000,
      timeoutMs: 4000,
      verify: 'keyframe',
      enabled: true,
      transport: 'tcp',
      kind: 'auto',
      area: 'Outside',
      tags: ['entrance', 'outdoor'],
      tlsVerify: true,
    });
    assert.equal(lobby?.id, 'lobby_hls');
    assert.equal(lobby?.enabled, false);
    assert.equal(lobby?.kind, 'hls');
    assert.equal(lobby?.verify, 'packet');
    assert.equal(lobby?.intervalMs, 15_000);
    // $${...} is the escape for a literal ${...}.
    assert.equal(snapshot?.password, '${not-a-variable}');
  });

  it('an unset ${VAR} is an error naming file, line, field and variable — not a value', () => {
    const errors = expectErrors(parseStreamsConfig(text, 'extended.yaml', {}));
    assert.deepEqual(errors, [
      `extended.yaml:${lineContaining(text, 'PORCH_PASSWORD')}: streams[0].password: environment variable PORCH_PASSWORD is not set`,
    ]);
  });

  it('an explicit id survives a rename, so history stays attached', () => {
    const renamed = text.replace('Porch (renamed)', 'Front porch');
    const { config } = expectOk(parseStreamsConfig(renamed, 'extended.yaml', { PORCH_PASSWORD: 'x' }));
    assert.equal(config.streams[0]?.id, 'porch');
  });

  it('canonicalises the time zone and rejects unknown ones on their line', () => {
    const ok = expectOk(parseStreamsConfig('timezone: europe/berlin\nstreams: []\n', 's.yaml', {}));
    assert.equal(ok.config.timezone, 'Europe/Berlin');
    const errors = expectErrors(parseStreamsConfig('streams: []\ntimezone: Mars/Olympus\n', 's.yaml', {}));
    assert.deepEqual(errors, ['s.yaml:2: timezone: is not an IANA time zone name (e.g. Europe/Berlin)']);
  });
});

describe('parseStreamsConfig: every error names file, line and field', () => {
  it('a bad URL scheme at streams[3].url', () => {
    const text = fourStreams([], 'ftp://10.0.0.4/live');
    const errors = expectErrors(parseStreamsConfig(text, 'cams.yaml', {}));
    assert.deepEqual(errors, [
      `cams.yaml:${lineContaining(text, 'ftp://')}: streams[3].url: must start with rtsp://, rtsps://, http:// or https://`,
    ]);
  });

  it('accepts upper-case schemes (RFC 3986 §3.1: schemes are case-insensitive)', () => {
    expectOk(parseStreamsConfig(fourStreams([], 'RTSP://10.0.0.4/live'), 'cams.yaml', {}));
  });

  it('a URL with the right scheme that does not parse', () => {
    const text = fourStreams([], 'rtsp://[::1/live');
    const errors = expectErrors(parseStreamsConfig(text, 'cams.yaml', {}));
    assert.deepEqual(errors, [`cams.yaml:${lineContaining(text, '[::1')}: streams[3].url: is not a valid URL`]);
  });

  it('interval and timeout out of range', () => {
    const text = fourStreams(['interval: 0', 'timeout: 500']);
    const errors = expectErrors(parseStreamsConfig(text, 'cams.yaml', {}));
    assert.deepEqual(errors, [
      `cams.yaml:${lineContaining(text, 'interval: 0')}: streams[3].interval: must be between 1 and 86400 seconds`,
      `cams.yaml:${lineContaining(text, 'timeout: 500')}: streams[3].timeout: must be between 0.5 and 120 seconds`,
    ]);
  });

  it('wrong types and enum values', () => {
    const text = fourStreams(['interval: 15s', 'enabled: "maybe"', 'verify: full', 'tags: outdoor']);
    const errors = expectErrors(parseStreamsConfig(text, 'cams.yaml', {}));
    assert.deepEqual(errors, [
      `cams.yaml:${lineContaining(text, '15s')}: streams[3].interval: must be a number of seconds`,
      `cams.yaml:${lineContaining(text, 'maybe')}: streams[3].enabled: must be true or false`,
      `cams.yaml:${lineContaining(text, 'verify: full')}: streams[3].verify: must be one of auto, packet, keyframe, decode`,
      `cams.yaml:${lineContaining(text, 'tags:')}: streams[3].tags: must be a list`,
    ]);
  });

  it('an unknown key, with a hint for a typo', () => {
    const text = fourStreams(['intervall: 5', 'tlsVerify: true', 'colour: red']);
    const errors = expectErrors(parseStreamsConfig(text, 'cams.yaml', {}));
    assert.equal(errors.length, 3);
    assert.equal(errors[0], `cams.yaml:${lineContaining(text, 'intervall')}: streams[3].intervall: unknown key (did you mean "interval"?)`);
    assert.equal(errors[1], `cams.yaml:${lineContaining(text, 'tlsVerify')}: streams[3].tlsVerify: unknown key (did you mean "tls_verify"?)`);
    assert.match(errors[2] ?? '', new RegExp(`^cams\\.yaml:${lineContaining(text, 'colour')}: streams\\[3\\]\\.colour: unknown key; allowed keys are id, name, url, `));
  });

  it('unknown top-level keys are errors too (v2.2 had only three)', () => {
    const errors = expectErrors(parseStreamsConfig('heartbeat_second: 10\nstreams: []\n', 's.yaml', {}));
    assert.deepEqual(errors, ['s.yaml:1: heartbeat_second: unknown key (did you mean "heartbeat_seconds"?)']);
  });

  it('a missing url, reported on the line of its stream', () => {
    const text = 'streams:\n  - name: A\n    url: rtsp://a/x\n  - name: B\n    area: Hall\n';
    const errors = expectErrors(parseStreamsConfig(text, 'cams.yaml', {}));
    assert.deepEqual(errors, [`cams.yaml:${lineContaining(text, 'name: B')}: streams[1].url: is required`]);
  });

  it('an empty name', () => {
    const text = 'streams:\n  - name: "  "\n    url: rtsp://a/x\n';
    assert.deepEqual(expectErrors(parseStreamsConfig(text, 'cams.yaml', {})), ['cams.yaml:2: streams[0].name: must not be empty']);
  });

  it('a bad explicit id', () => {
    const text = 'streams:\n  - name: A\n    id: Front Door\n    url: rtsp://a/x\n';
    assert.deepEqual(expectErrors(parseStreamsConfig(text, 'cams.yaml', {})), [
      'cams.yaml:3: streams[0].id: must be a slug: 1 to 64 lower-case letters, digits, _ or -, starting with a letter or digit',
    ]);
  });

  it('streams that is not a list, or a stream that is not a mapping', () => {
    assert.deepEqual(expectErrors(parseStreamsConfig('heartbeat_seconds: 5\nstreams: rtsp://a/x\n', 's.yaml', {})), [
      's.yaml:2: streams: must be a list of streams (write `streams: []` for none)',
    ]);
    assert.deepEqual(expectErrors(parseStreamsConfig('streams:\n', 's.yaml', {})), [
      's.yaml:1: streams: must be a list of streams (write `streams: []` for none)',
    ]);
    assert.deepEqual(expectErrors(parseStreamsConfig('streams:\n  - rtsp://a/x\n', 's.yaml', {})), [
      's.yaml:2: streams[0]: must be a mapping with at least name and url',
    ]);
    assert.deepEqual(expectErrors(parseStreamsConfig('heartbeat_seconds: 5\n', 's.yaml', {})), ['s.yaml:1: streams: is required']);
  });

  it('a file that is empty, or a list instead of a mapping', () => {
    assert.deepEqual(expectErrors(parseStreamsConfig('# nothing yet\n', 's.yaml', {})), [
      's.yaml:1: the file is empty; it needs at least `streams:` with a list of cameras',
    ]);
    assert.deepEqual(expectErrors(parseStreamsConfig('- name: a\n', 's.yaml', {})), [
      's.yaml:1: the file must be a mapping with heartbeat_seconds, timezone and streams',
    ]);
  });

  it('a YAML syntax error names file and line', () => {
    const text = 'heartbeat_seconds: 15\nstreams:\n  - name: A\n    url: rtsp://a/x\n  - name: "B\n    url: rtsp://b/x\n';
    const errors = expectErrors(parseStreamsConfig(text, 'cams.yaml', {}));
    assert.ok(errors.length >= 1);
    assert.match(errors[0] ?? '', /^cams\.yaml:\d+: YAML syntax error: /);
    const line = Number(/^cams\.yaml:(\d+):/.exec(errors[0] ?? '')?.[1]);
    assert.ok(line >= 5 && line <= 6, `line ${line} should point at the unterminated string`);
  });

  it('a duplicate key is a YAML error on its line', () => {
    const errors = expectErrors(parseStreamsConfig('streams:\n  - name: A\n    url: rtsp://a/x\n    url: rtsp://b/x\n', 'c.yaml', {}));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^c\.yaml:4: YAML syntax error: Map keys must be unique/);
  });

  it('duplicate ids and duplicate names name both entries', () => {
    const text = [
      'streams:',
      '  - {name: Gate, id: gate, url: "rtsp://a/1"}',
      '  - {name: Yard, url: "rtsp://a/2"}',
      '  - {name: Gate B, id: gate, url: "rtsp://a/3"}',
      '  - {name: YARD, id: yard2, url: "rtsp://a/4"}',
      '',
    ].join('\n');
    assert.deepEqual(expectErrors(parseStreamsConfig(text, 'c.yaml', {})), [
      'c.yaml:4: streams[0] and streams[2] both have id "gate"',
      'c.yaml:5: streams[1] and streams[3] both have the name "Yard" (as "YARD"; names are compared ignoring case)',
    ]);
  });

  it('ids that collide only after slugging are an error naming both', () => {
    const text = 'streams:\n  - {name: Front Door, url: "rtsp://a/1"}\n  - {name: front-door!, url: "rtsp://a/2"}\n';
    assert.deepEqual(expectErrors(parseStreamsConfig(text, 'c.yaml', {})), [
      'c.yaml:3: streams[0] and streams[1] both have id "front_door" (an id derived from the name; set an explicit id on one of them)',
    ]);
  });

  it('reports all errors of a file at once, ordered by line', () => {
    const text = 'streams:\n  - name: A\n    url: ftp://a\n  - name: B\n    url: rtsp://b/x\n    interval: -1\n';
    const errors = expectErrors(parseStreamsConfig(text, 'c.yaml', {}));
    assert.deepEqual(
      errors.map((e) => e.split(':').slice(0, 3).join(':')),
      ['c.yaml:3: streams[0].url', 'c.yaml:6: streams[1].interval'],
    );
  });

  it('caps a flood of errors', () => {
    const text = `streams:\n${Array.from({ length: 80 }, (_, i) => `  - {name: c${i}, url: "ftp://x"}`).join('\n')}\n`;
    const errors = expectErrors(parseStreamsConfig(text, 'c.yaml', {}));
    assert.equal(errors.length, 51);
    assert.equal(errors[50], 'c.yaml: … and 30 more');
  });
});

describe('parseStreamsConfig: warnings and secrets', () => {
  it('warns about a password in the URL without repeating it', () => {
    const text = 'streams:\n  - name: A\n    url: rtsp://admin:S3cr3t@10.0.0.1/live\n';
    const { config, warnings } = expectOk(parseStreamsConfig(text, 'c.yaml', {}));
    assert.equal(config.streams[0]?.url, 'rtsp://admin:S3cr3t@10.0.0.1/live');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^c\.yaml:3: streams\[0\]\.url: contains a password; prefer the username and password fields/);
    assert.doesNotMatch(warnings.join('\n'), /S3cr3t/);
  });

  it('no error message ever quotes a password', () => {
    const secret = 'Hunter2-secret';
    const text = [
      'streams:',
      `  - name: A`,
      `    url: "ftp://admin:${secret}@cam/x"`,
      `    password: 12345`,
      `  - name: B`,
      `    url: "rtsp://admin:${secret}@[::1/x"`,
      `    username: ${secret}`,
      `    passwort: ${secret}`,
      '',
    ].join('\n');
    const errors = expectErrors(parseStreamsConfig(text, 'c.yaml', {}));
    assert.ok(errors.length >= 3, errors.join('\n'));
    assert.doesNotMatch(errors.join('\n'), new RegExp(secret));
  });

  it('warns when kind or transport cannot apply to the URL', () => {
    const text = 'streams:\n  - {name: A, url: "rtsp://a/x", kind: mjpeg}\n  - {name: B, url: "http://b/x", transport: udp}\n';
    const { warnings } = expectOk(parseStreamsConfig(text, 'c.yaml', {}));
    assert.deepEqual(warnings, [
      'c.yaml:2: streams[0].kind: only applies to http:// and https:// URLs; ignored for RTSP',
      'c.yaml:3: streams[1].transport: only applies to rtsp:// and rtsps:// URLs; ignored for HTTP',
    ]);
  });

  it('warns about a timeout longer than the interval and about an unreadable derived id', () => {
    const text = 'streams:\n  - {name: A, url: "rtsp://a/x", interval: 5, timeout: 30}\n  - {name: 監視カメラ, url: "rtsp://b/x"}\n';
    const { config, warnings } = expectOk(parseStreamsConfig(text, 'c.yaml', {}));
    assert.match(warnings[0] ?? '', /^c\.yaml:2: streams\[0\]\.timeout: 30 s is longer than the interval \(5 s\)/);
    assert.match(config.streams[1]?.id ?? '', /^cam_[0-9a-f]{8}$/);
    assert.match(warnings[1] ?? '', /^c\.yaml:3: streams\[1\]\.name: has no Latin letters or digits; its id is "cam_[0-9a-f]{8}"/);
  });

  it('resolves ${VAR} in username and password from process.env by default', () => {
    process.env.STREAMPULSE_TEST_PW = 'from-env';
    try {
      const text = 'streams:\n  - {name: A, url: "rtsp://a/x", username: "${STREAMPULSE_TEST_USER}", password: "${STREAMPULSE_TEST_PW}"}\n';
      assert.deepEqual(expectErrors(parseStreamsConfig(text, 'c.yaml')), ['c.yaml:2: streams[0].username: environment variable STREAMPULSE_TEST_USER is not set']);
      process.env.STREAMPULSE_TEST_USER = 'viewer';
      const { config } = expectOk(parseStreamsConfig(text, 'c.yaml'));
      assert.equal(config.streams[0]?.username, 'viewer');
      assert.equal(config.streams[0]?.password, 'from-env');
    } finally {
      delete process.env.STREAMPULSE_TEST_PW;
      delete process.env.STREAMPULSE_TEST_USER;
    }
  });
});

describe('validateStreamList (the editor dialog)', () => {
  it('normalises like the file, treating blank optional fields as defaults', () => {
    const result = validateStreamList(
      [
        { name: 'Front Door', url: 'rtsp://a/x', interval: '', verify: '', username: 'u', password: '' },
        { name: 'Yard', url: 'http://b/y.mjpg', interval: 30, enabled: false, id: 'yard' },
      ],
      'stream-list "Cams"',
      { defaultIntervalSeconds: 20, env: {} },
    );
    if (!result.ok) assert.fail(result.errors.join('\n'));
    assert.deepEqual(
      result.streams.map((s) => [s.id, s.intervalMs, s.verify, s.enabled, s.username, s.password]),
      [
        ['front_door', 20_000, 'auto', true, 'u', ''],
        ['yard', 30_000, 'auto', false, undefined, undefined],
      ],
    );
  });

  it('names the source and the field, without a line', () => {
    const result = validateStreamList(
      [{ name: 'A', url: 'rtsp://a/x' }, { name: 'B', url: 'file:///etc/passwd', interval: '10' }, 'rtsp://c'],
      'stream-list "Cams"',
      { env: {} },
    );
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [
      'stream-list "Cams": streams[1].url: must start with rtsp://, rtsps://, http:// or https://',
      'stream-list "Cams": streams[1].interval: must be a number of seconds',
      'stream-list "Cams": streams[2]: must be a mapping with at least name and url',
    ]);
  });

  it('reports duplicates naming both', () => {
    const result = validateStreamList([{ name: 'A', url: 'rtsp://a/x' }, { name: 'a', url: 'rtsp://b/x' }], 'cams', { env: {} });
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, ['cams: streams[0] and streams[1] both have the name "A" (as "a"; names are compared ignoring case)']);
  });
});

describe('loadStreamsFile', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streampulse-load-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and parses a file, naming it in messages', async () => {
    const path = join(dir, 'streams.yaml');
    await writeFile(path, 'streams:\n  - {name: A, url: "gopher://a"}\n');
    assert.deepEqual(await loadStreamsFile(path, {}), {
      ok: false,
      errors: [`${path}:2: streams[0].url: must start with rtsp://, rtsps://, http:// or https://`],
    });
    await writeFile(path, 'streams:\n  - {name: A, url: "rtsp://a"}\n');
    const result = await loadStreamsFile(path, {});
    assert.ok(result.ok);
    assert.equal(result.config.streams[0]?.id, 'a');
  });

  it('a missing file, a directory and an unreadable file are one clear error each', async () => {
    const missing = join(dir, 'nope.yaml');
    assert.deepEqual(await loadStreamsFile(missing, {}), { ok: false, errors: [`${missing}: file not found`] });
    assert.deepEqual(await loadStreamsFile(dir, {}), { ok: false, errors: [`${dir}: is a directory, not a streams file`] });
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.yaml');
      await writeFile(locked, 'streams: []\n');
      await chmod(locked, 0o000);
      assert.deepEqual(await loadStreamsFile(locked, {}), { ok: false, errors: [`${locked}: cannot read the file (permission denied)`] });
    }
  });
});
