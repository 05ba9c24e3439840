import assert from 'node:assert/strict';
import { chmod, lstat, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NEW_FILE_MODE, writeFileAtomic } from '../../../nodes/lib/config/atomic-write.js';

describe('writeFileAtomic', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sp-atomic-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the file by rename, keeps its mode and leaves no temporary file', async () => {
    const file = join(dir, 'streams.yaml');
    await writeFile(file, 'old\n');
    await chmod(file, 0o604);
    const before = await stat(file);
    await writeFileAtomic(file, 'new\n');
    const after = await stat(file);
    assert.equal(await readFile(file, 'utf8'), 'new\n');
    assert.notEqual(after.ino, before.ino);
    assert.equal(after.mode & 0o777, 0o604);
    assert.deepEqual(await readdir(dir), ['streams.yaml']);
  });

  it('creates a missing file private', async () => {
    const file = join(dir, 'fresh.yaml');
    await writeFileAtomic(file, 'x\n');
    assert.equal((await stat(file)).mode & 0o777, NEW_FILE_MODE);
    await rm(file);
  });

  it('writes through a symlink to its target, keeping the link', async () => {
    const target = join(dir, 'real.yaml');
    const link = join(dir, 'link.yaml');
    await writeFile(target, 'a\n');
    await symlink(target, link);
    await writeFileAtomic(link, 'b\n');
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readlink(link), target);
    assert.equal(await readFile(target, 'utf8'), 'b\n');
    await rm(link);
    await rm(target);
  });

  it('fails without leaving anything behind when the directory is missing', async () => {
    await assert.rejects(writeFileAtomic(join(dir, 'nope', 'streams.yaml'), 'x'), { code: 'ENOENT' });
    assert.deepEqual(await readdir(dir), ['streams.yaml']);
  });
});
