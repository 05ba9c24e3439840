/** flows/streams.example.yaml: valid as shipped (no cameras), and every commented example valid once uncommented. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseStreamsConfig } from '../../nodes/lib/config/index.js';

const REPO = join(__dirname, '..', '..', '..');
const TEXT = readFileSync(join(REPO, 'flows', 'streams.example.yaml'), 'utf8');

/** What the file's own instructions say to do: `streams:` instead of `streams: []`, and "# " off each example line. */
function uncommented(text: string): string {
  return text
    .replace(/^streams: \[\]$/m, 'streams:')
    .split('\n')
    .map((line) => (/^# {3}(- | {2})/.test(line) ? line.slice(2) : line))
    .join('\n');
}

describe('flows/streams.example.yaml', () => {
  it('is a valid, empty camera list as shipped', () => {
    const parsed = parseStreamsConfig(TEXT, 'streams.yaml', {});
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.equal(parsed.config.streams.length, 0);
    assert.equal(parsed.config.heartbeatSeconds, 15);
  });

  it('has examples for Tapo, Hikvision, Reolink, MJPEG, a snapshot, HLS and RTSPS that all validate', () => {
    const parsed = parseStreamsConfig(uncommented(TEXT), 'streams.yaml', { DRIVEWAY_PASSWORD: 'from-env' });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const streams = parsed.config.streams;
    assert.deepEqual(streams.map((s) => s.name), ['Front Door', 'Driveway', 'Garden', 'Workshop', 'Gate snapshot', 'Hallway (restream)', 'Porch']);
    const byName = new Map(streams.map((s) => [s.name, s]));
    assert.match(byName.get('Front Door')?.url ?? '', /^rtsp:\/\/.*\/stream1$/);
    assert.match(byName.get('Driveway')?.url ?? '', /\/Streaming\/Channels\/101$/);
    assert.equal(byName.get('Driveway')?.password, 'from-env');
    assert.equal(byName.get('Driveway')?.id, 'driveway');
    assert.match(byName.get('Garden')?.url ?? '', /h264Preview_01_main$/);
    assert.equal(byName.get('Garden')?.intervalMs, 30_000);
    assert.equal(byName.get('Gate snapshot')?.kind, 'jpeg');
    assert.match(byName.get('Hallway (restream)')?.url ?? '', /\.m3u8$/);
    assert.equal(byName.get('Porch')?.enabled, false);
    assert.ok(streams.some((s) => s.url.startsWith('rtsps://')));
  });

  it('needs the password variable it names: an unset one is an error, as the comment says', () => {
    const parsed = parseStreamsConfig(uncommented(TEXT), 'streams.yaml', {});
    assert.ok(!parsed.ok);
    assert.ok(parsed.errors.some((e) => e.includes('DRIVEWAY_PASSWORD')), parsed.errors.join('\n'));
  });
});
