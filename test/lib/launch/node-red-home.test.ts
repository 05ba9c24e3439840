/** Finding the Node-RED that `npm start` runs, in a checkout and in the Home Assistant image's layout. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findNodeRed, loadBcrypt } from '../../../nodes/lib/launch/node-red-home.js';

const REPO = join(__dirname, '..', '..', '..', '..');

describe('findNodeRed', () => {
  const work = mkdtempSync(join(tmpdir(), 'streampulse-nrhome-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('finds the checkout\'s node-red and loads modules of its tree', () => {
    const home = findNodeRed(REPO);
    assert.ok(home, 'node-red is a devDependency: run npm ci');
    assert.match(home.version, /^\d+\.\d+\.\d+/);
    const bcrypt = loadBcrypt(home);
    assert.match(bcrypt.hashSync('x', 4), /^\$2[aby]\$04\$/);
    assert.equal(typeof home.load('express'), 'function');
  });

  it('finds node-red one level up, as in the HA image (/opt/node_modules beside /opt/streampulse)', () => {
    const opt = join(work, 'opt');
    mkdirSync(join(opt, 'node_modules'), { recursive: true });
    mkdirSync(join(opt, 'streampulse'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', 'node-red'), join(opt, 'node_modules', 'node-red'), 'dir');
    const home = findNodeRed(join(opt, 'streampulse'));
    assert.ok(home);
    assert.equal(home.version, findNodeRed(REPO)?.version);
  });

  it('says undefined where there is none', () => {
    const lonely = join(work, 'lonely');
    mkdirSync(lonely);
    writeFileSync(join(lonely, 'package.json'), '{}');
    assert.equal(findNodeRed(lonely), undefined);
  });
});
