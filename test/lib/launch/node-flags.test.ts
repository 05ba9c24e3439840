import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_FLAGS } from '../../../nodes/lib/launch/node-flags.js';

const REPO = join(__dirname, '..', '..', '..', '..');

/** The flags a command line passes to node before the script, whatever its quoting (shell or JSON array). */
function flagsBefore(commandLine: string, script: string): string[] {
  const words = commandLine.replace(/[[\]",]/g, ' ').split(/\s+/).filter(Boolean);
  const at = words.indexOf(script);
  assert.ok(at > 0, `${script} in: ${commandLine}`);
  return words.slice(0, at).filter((w) => w.startsWith('--'));
}

describe('Node.js flags of every launcher', () => {
  it('npm start passes NODE_FLAGS', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const run = pkg.scripts.start?.split('&&').at(-1) ?? '';
    assert.deepEqual(flagsBefore(run, 'dist/nodes/cli/start.js'), NODE_FLAGS);
  });

  it('every README command that starts start.js passes NODE_FLAGS (Docker, systemd)', () => {
    const lines = readFileSync(join(REPO, 'README.md'), 'utf8').split('\n').filter((l) => /\bnode\b.*dist\/nodes\/cli\/start\.js/.test(l) && !l.trim().startsWith('#'));
    assert.ok(lines.length >= 2, lines.join('\n'));
    for (const line of lines) assert.deepEqual(flagsBefore(line, 'dist/nodes/cli/start.js'), NODE_FLAGS, line);
  });

  it('are flags this Node.js accepts', () => {
    for (const flag of NODE_FLAGS) assert.ok(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0] ?? flag), flag);
  });
});
