/** The app options check: every problem one line, naming the option as the Configuration tab shows it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOptionsText, validateOptions } from '../../../nodes/lib/addon/options.js';
import type { AddonOptions, OptionsCheck } from '../../../nodes/lib/addon/options.js';

function errorsOf(value: unknown): string[] {
  const result = validateOptions(value);
  assert.equal(result.ok, false, 'expected the options to be refused');
  return result.ok ? [] : result.errors;
}

function accepted(result: OptionsCheck): { options: AddonOptions; warnings: string[] } {
  if (!result.ok) assert.fail(`expected valid options, got: ${result.errors.join(' | ')}`);
  return result;
}

const cam = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'Front door', url: 'rtsp://192.0.2.10/stream1', ...extra });

describe('validateOptions', () => {
  it('accepts the shipped default (no cameras yet) and a full configuration', () => {
    assert.deepEqual(accepted(validateOptions({ cameras: [] })).options, { cameras: [] });
    const full = {
      cameras: [
        cam({ id: 'front', username: 'admin', password: 'pa:ss@word', interval: 30, verify: 'keyframe' }),
        { name: 'Garden snapshot', url: 'HTTPS://cam.example/snap.jpg', verify: 'auto' },
      ],
      heartbeat_seconds: 20,
      retention_raw_hours: 72,
      retention_minute_days: 30,
      retention_hour_days: 365,
      retention_day_days: 3650,
      log_level: 'warning',
    };
    const result = accepted(validateOptions(full));
    assert.deepEqual(result.options, full);
    assert.deepEqual(result.warnings, []);
  });

  it('names the camera and field of a bad URL', () => {
    const value = { cameras: [cam(), cam({ name: 'Back' }), cam({ name: 'Gate', url: 'ftp://192.0.2.3/x' })] };
    assert.deepEqual(errorsOf(value), ['cameras[2].url: must be rtsp://, rtsps://, http:// or https://']);
  });

  it('reports every structural problem at once, with ranges and units', () => {
    const value = {
      cameras: [{ name: 'A' }, cam({ name: 'B', interval: 2 }), cam({ name: 'C', interval: 7.5, verify: 'pixels' }), cam({ name: '   ' })],
      heartbeat_seconds: 0,
      retention_raw_hours: 9000,
      retention_day_days: 'long',
      log_level: 'loud',
    };
    assert.deepEqual(new Set(errorsOf(value)), new Set([
      'cameras[0].url: is required',
      'cameras[1].interval: must be between 5 and 3600 seconds',
      'cameras[2].interval: must be a whole number of seconds',
      'cameras[2].verify: must be one of auto, packet, keyframe, decode',
      'cameras[3].name: must not be empty',
      'heartbeat_seconds: must be between 5 and 3600 seconds',
      'retention_raw_hours: must be between 1 and 8760 hours',
      'retention_day_days: must be a whole number of days',
      'log_level: must be one of trace, debug, info, notice, warning, error, fatal',
    ]));
  });

  it('explains a missing or mistyped cameras list and a non-object file', () => {
    assert.deepEqual(errorsOf({}), ['cameras: is required']);
    assert.deepEqual(errorsOf({ cameras: 'rtsp://x' }), ['cameras: must be a list']);
    assert.deepEqual(errorsOf({ cameras: ['rtsp://x'] }), ['cameras[0]: must be a mapping with at least name and url']);
    assert.deepEqual(errorsOf([]), ['options: must be a JSON object with a cameras list']);
    assert.deepEqual(errorsOf({ cameras: [cam({ id: 'Front Door' })] }), [
      'cameras[0].id: must be a slug: 1 to 64 lower-case letters, digits, _ or -, starting with a letter or digit',
    ]);
  });

  it('refuses two cameras with the same name or id, in option terms', () => {
    const names = errorsOf({ cameras: [cam({ name: 'Door' }), cam({ name: 'door' })] });
    assert.deepEqual(names, ['cameras[0] and cameras[1] both have the name "Door" (as "door"; names are compared ignoring case)']);
    const ids = errorsOf({ cameras: [cam({ name: 'Front Door' }), cam({ name: 'Front-Door' })] });
    assert.match(ids[0] ?? '', /cameras\[0\] and cameras\[1\] both have id "front_door"/);
    assert.ok(ids.every((line) => !line.includes('streams[')), ids.join('\n'));
  });

  it('refuses a URL with no host without quoting its password', () => {
    const errors = errorsOf({ cameras: [cam({ url: 'rtsp://admin:hunter2@:554/x' })] });
    assert.deepEqual(errors, ['cameras[0].url: is not a valid URL']);
  });

  it('passes a literal ${…} password through but refuses the one spelling the streams file cannot carry', () => {
    accepted(validateOptions({ cameras: [cam({ password: '${HOME}' })] }));
    assert.deepEqual(errorsOf({ cameras: [cam({ password: '$${HOME}' })] }), [
      'cameras[0].password: a value of the form $${…} cannot be passed on to the camera list',
    ]);
  });

  it('warns about, and ignores, options it does not know (left over from another version)', () => {
    const result = accepted(validateOptions({ cameras: [cam({ zoom: 2 })], theme: 'dark' }));
    assert.deepEqual(result.warnings, ['theme: unknown option, ignored', 'cameras[0].zoom: unknown option, ignored']);
  });

  it('passes on the camera-list warnings in option terms', () => {
    const result = accepted(validateOptions({ cameras: [cam({ url: 'rtsp://admin:hunter2@192.0.2.1/x' })] }));
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0] ?? '', /^cameras\[0\]\.url: contains a password/);
    assert.ok(!result.warnings[0]?.includes('hunter2'));
  });
});

describe('parseOptionsText', () => {
  it('parses and validates options.json text', () => {
    const result = accepted(parseOptionsText(JSON.stringify({ cameras: [cam()] })));
    assert.equal(result.options.cameras[0]?.name, 'Front door');
  });

  it('reports a syntax error with its line and without quoting the text', () => {
    const text = '{\n  "cameras": [\n    {"name": "x", "url": "rtsp://h/x", "password": "hunter2" oops}\n  ]\n}';
    const result = parseOptionsText(text);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.errors, ['options.json is not valid JSON (line 3)']);
  });
});
