// Build: compile TypeScript, then put every node's editor files (.html, locales/, icons/) beside its
// compiled .js, because the Node-RED loader only looks there (it resolves icons/ and locales/
// relative to each registered .js file).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// STREAMPULSE_BUILD_OUT: a private output directory (a second build beside dist/, e.g. while tests run).
const out = process.env.STREAMPULSE_BUILD_OUT ?? join(root, 'dist');

rmSync(out, { recursive: true, force: true });
// tsc still emits when it finds type errors; copy the assets anyway, then fail the build.
let typeErrors = false;
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', out], {
    stdio: 'inherit',
  });
} catch {
  typeErrors = true;
}

const nodesDir = join(root, 'nodes');
for (const name of readdirSync(nodesDir)) {
  const src = join(nodesDir, name);
  if (name === 'lib' || !statSync(src).isDirectory()) continue;
  let editorFiles = false;
  for (const entry of readdirSync(src)) {
    if (entry.endsWith('.html') || entry === 'locales') {
      cpSync(join(src, entry), join(out, 'nodes', name, entry), { recursive: true });
      editorFiles = true;
    }
    // The dashboard page (heartbeat-store serves it from beside its .js): shipped as is, no bundler.
    if (entry === 'dashboard' && statSync(join(src, entry)).isDirectory()) {
      cpSync(join(src, entry), join(out, 'nodes', name, entry), { recursive: true });
    }
  }
  // Only node folders (those with editor files) get the icons; cli/ and shared/ do not.
  if (editorFiles && existsSync(join(root, 'icons'))) {
    cpSync(join(root, 'icons'), join(out, 'nodes', name, 'icons'), { recursive: true });
  }
}
// Non-TypeScript assets of the pure library (JSON schemas) travel with the compiled code.
copyAssets(join(root, 'nodes', 'lib'), join(out, 'nodes', 'lib'));
// Test fixtures that are not TypeScript (the GStreamer launcher) run from the compiled tree too.
copyAssets(join(root, 'test'), join(out, 'test'));

function copyAssets(from, to) {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    if (statSync(src).isDirectory()) copyAssets(src, join(to, entry));
    else if (/\.(json|py|yaml)$/.test(entry)) cpSync(src, join(to, entry));
  }
}

if (typeErrors) {
  console.error('build: TypeScript reported errors (see above)');
  process.exit(1);
}
