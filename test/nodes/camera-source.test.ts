/** CameraSource tells its subscribers where a file-based camera list lives (the dashboard edits it). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraSource } from '../../nodes/streampulse-cameras/camera-source.js';
import type { SourceState } from '../../nodes/streampulse-cameras/camera-source.js';

describe('CameraSource file path', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sp-source-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the absolute path of a valid file and of an invalid one', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(good, 'timezone: Europe/Berlin\nstreams:\n  - name: A\n    url: rtsp://10.0.0.1/\n');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'streams:\n  - name: A\n    url: ftp://nope/\n');
    for (const [path, ok] of [[good, true], [bad, false]] as const) {
      // A relative path is resolved, so the editor always writes where the watcher reads.
      const source = await CameraSource.fromFile(relative(process.cwd(), path));
      const states: SourceState[] = [];
      const unsubscribe = source.subscribe((state) => states.push(state));
      try {
        assert.equal(states[0]?.ok, ok);
        assert.equal(states[0]?.file, path);
        if (states[0]?.ok) assert.equal(states[0].timezone, 'Europe/Berlin');
      } finally {
        unsubscribe();
        await source.close();
      }
    }
  });

  it('gives no path for a list edited in the Node-RED dialog', () => {
    const source = CameraSource.fromList([{ name: 'A', url: 'rtsp://10.0.0.1/' }], 15);
    const state = source.current();
    assert.ok(state.ok);
    assert.equal(state.file, undefined);
  });
});
