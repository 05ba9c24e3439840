/** Options → streams YAML: whatever a user types must come back unchanged through the product's parser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamsConfig } from '../../../nodes/lib/config/index.js';
import type { StreamsConfig } from '../../../nodes/lib/config/index.js';
import { buildStreamsYaml, escapeSecret, isPassableSecret } from '../../../nodes/lib/addon/streams.js';
import { validateOptions } from '../../../nodes/lib/addon/options.js';
import type { AddonOptions } from '../../../nodes/lib/addon/options.js';

/** The product resolves `${VAR}` from its environment: give it variables that must NOT be used. */
const TRAP_ENV = { HOME: 'resolved-from-env', CAM_PASSWORD: 'resolved-from-env' };

function roundTrip(options: AddonOptions, timezone?: string): StreamsConfig {
  const checked = validateOptions(options);
  if (!checked.ok) assert.fail(`test options invalid: ${checked.errors.join(' | ')}`);
  const text = buildStreamsYaml(checked.options, timezone === undefined ? {} : { timezone });
  const parsed = parseStreamsConfig(text, 'streams.yaml', TRAP_ENV);
  if (!parsed.ok) assert.fail(`parseStreamsConfig refused:\n${parsed.errors.join('\n')}\n---\n${text}`);
  return parsed.config;
}

describe('buildStreamsYaml', () => {
  it('round-trips names, URLs and credentials that YAML would otherwise reinterpret', () => {
    const tricky = [
      { name: 'yes', url: 'rtsp://192.0.2.1/a', username: 'null', password: '123' },
      { name: '0x1F', url: 'http://192.0.2.2/mjpeg?user=a&pwd=b#frag', password: '${HOME}' },
      { name: '# not a comment', url: 'rtsps://192.0.2.3:322/x', username: 'admin', password: '  spaced  ' },
      { name: 'key: value', url: 'https://192.0.2.4/live.m3u8', password: "quote\"s 'and' \\back\\slash" },
      { name: '- dash', url: 'rtsp://192.0.2.5/x', password: 'multi\nline\ttab' },
      { name: 'Haustür', url: 'rtsp://192.0.2.6/x', password: '' },
      { name: '@at & *star !tag %pct', url: 'rtsp://192.0.2.7/x', password: '${CAM_PASSWORD}' },
      { name: 'True', url: 'rtsp://192.0.2.8/x', password: 'ünï©ødé 🎥' },
    ];
    const config = roundTrip({ cameras: tricky });
    assert.equal(config.streams.length, tricky.length);
    tricky.forEach((camera, i) => {
      const stream = config.streams[i];
      assert.ok(stream !== undefined);
      assert.equal(stream.name, camera.name);
      assert.equal(stream.url, camera.url);
      assert.equal(stream.password, camera.password, `password of ${camera.name}`);
      if (camera.username !== undefined) assert.equal(stream.username, camera.username);
    });
    assert.equal(config.streams[5]?.id, 'haustur');
  });

  it('carries ids, intervals, verify levels, heartbeat and time zone', () => {
    const config = roundTrip(
      {
        cameras: [
          { name: 'Front', url: 'rtsp://192.0.2.1/x', id: 'porch', interval: 60, verify: 'decode' },
          { name: 'Back', url: 'rtsp://192.0.2.2/x' },
        ],
        heartbeat_seconds: 45,
      },
      'Europe/Berlin',
    );
    assert.equal(config.heartbeatSeconds, 45);
    assert.equal(config.timezone, 'Europe/Berlin');
    assert.deepEqual(
      config.streams.map((s) => [s.id, s.intervalMs, s.verify]),
      [
        ['porch', 60_000, 'decode'],
        ['back', 45_000, 'auto'],
      ],
    );
  });

  it('drops an empty user name but keeps an empty password', () => {
    const config = roundTrip({ cameras: [{ name: 'A', url: 'rtsp://192.0.2.1/x', username: '', password: '' }] });
    assert.equal(config.streams[0]?.username, undefined);
    assert.equal(config.streams[0]?.password, '');
  });

  it('writes `streams: []` for no cameras, with a header saying it is generated', () => {
    const text = buildStreamsYaml({ cameras: [] });
    assert.match(text, /^# Written by the StreamPulse app/);
    assert.match(text, /^streams: \[\]$/m);
    assert.ok(parseStreamsConfig(text, 'streams.yaml', {}).ok);
  });

  it('never folds a long URL over lines', () => {
    const url = `rtsp://192.0.2.1/${'a'.repeat(300)}?token=${'b'.repeat(200)}`;
    const text = buildStreamsYaml({ cameras: [{ name: 'Long', url }] });
    assert.ok(text.split('\n').some((line) => line.includes(url)));
  });
});

describe('secret escaping', () => {
  it('escapes exactly the values the streams file would read from the environment', () => {
    assert.equal(escapeSecret('${HOME}'), '$${HOME}');
    assert.equal(escapeSecret('${not a name}'), '${not a name}');
    assert.equal(escapeSecret('x${HOME}'), 'x${HOME}');
    assert.equal(escapeSecret('plain'), 'plain');
    assert.equal(isPassableSecret('$${HOME}'), false);
    assert.equal(isPassableSecret('$$$'), true);
  });
});
