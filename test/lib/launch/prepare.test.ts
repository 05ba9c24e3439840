/** The data directory on first start and after: default flow and streams file copied once, edits kept. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prepareDataDir } from '../../../nodes/lib/launch/prepare.js';

const REPO = join(__dirname, '..', '..', '..', '..');
const NAME = '@streampulse/node-red-streampulse';

describe('prepareDataDir', () => {
  const work = mkdtempSync(join(tmpdir(), 'streampulse-prepare-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  function paths(name: string): { dataDir: string; streamsFile: string; dbFile: string; packageRoot: string; packageName: string } {
    const dataDir = join(work, name, 'data');
    return { dataDir, streamsFile: join(dataDir, 'streams.yaml'), dbFile: join(dataDir, 'streampulse.db'), packageRoot: REPO, packageName: NAME };
  }

  it('first start: creates the directory (0700), the flow and the streams file (0600)', async () => {
    const p = paths('first');
    const result = await prepareDataDir(p);
    assert.deepEqual(result.created, [
      `created the data directory ${p.dataDir}`,
      `installed the default flow as ${join(p.dataDir, 'flows.json')}`,
      `created ${p.streamsFile} from the example: add your cameras there (it is reloaded on save)`,
    ]);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.flowsFile, join(p.dataDir, 'flows.json'));
    assert.equal(statSync(p.dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(p.streamsFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(result.flowsFile, 'utf8'), readFileSync(join(REPO, 'flows', 'default-flow.json'), 'utf8'));
    assert.equal(readFileSync(p.streamsFile, 'utf8'), readFileSync(join(REPO, 'flows', 'streams.example.yaml'), 'utf8'));
  });

  it('second start: keeps the user\'s flows and streams file as they are', async () => {
    const p = paths('second');
    await prepareDataDir(p);
    writeFileSync(join(p.dataDir, 'flows.json'), '[{"id":"mine","type":"tab"}]');
    writeFileSync(p.streamsFile, 'streams:\n  - name: Mine\n    url: rtsp://192.0.2.1/x\n');
    const again = await prepareDataDir(p);
    assert.deepEqual(again.created, []);
    assert.equal(readFileSync(join(p.dataDir, 'flows.json'), 'utf8'), '[{"id":"mine","type":"tab"}]');
    assert.match(readFileSync(p.streamsFile, 'utf8'), /name: Mine/);
  });

  it('an empty flows file is the user\'s too (they deleted every flow)', async () => {
    const p = paths('empty');
    mkdirSync(p.dataDir, { recursive: true });
    writeFileSync(join(p.dataDir, 'flows.json'), '[]');
    const result = await prepareDataDir(p);
    assert.equal(readFileSync(join(p.dataDir, 'flows.json'), 'utf8'), '[]');
    assert.ok(!result.created.some((line) => line.includes('default flow')));
  });

  it('creates the folders of a streams file and a database placed elsewhere', async () => {
    const p = { ...paths('elsewhere'), streamsFile: join(work, 'elsewhere', 'config', 'cams.yaml'), dbFile: join(work, 'elsewhere', 'ssd', 'db', 'h.db') };
    await prepareDataDir(p);
    assert.ok(existsSync(p.streamsFile));
    assert.ok(statSync(join(work, 'elsewhere', 'ssd', 'db')).isDirectory());
    assert.ok(!existsSync(p.dbFile), 'the store creates the database itself');
  });

  it('warns when another copy of the package in the data directory would shadow this one', async () => {
    const p = paths('shadow');
    const copy = join(p.dataDir, 'node_modules', '@streampulse', 'node-red-streampulse');
    mkdirSync(copy, { recursive: true });
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: NAME, version: '0.0.9' }));
    const result = await prepareDataDir(p);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0] ?? '', /holds another copy of @streampulse\/node-red-streampulse \(version 0\.0\.9\); Node-RED loads that one/);

    // A link to this very package is no other copy.
    const q = paths('linked');
    mkdirSync(join(q.dataDir, 'node_modules', '@streampulse'), { recursive: true });
    symlinkSync(REPO, join(q.dataDir, 'node_modules', '@streampulse', 'node-red-streampulse'), 'dir');
    assert.deepEqual((await prepareDataDir(q)).warnings, []);
  });
});
