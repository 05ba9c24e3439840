/**
 * First start, and every start after it: the data directory exists, the default flow is there
 * unless the user has flows of their own, and a commented streams file is there unless the user
 * has one. Never overwrites: a second start keeps every edit.
 */
import { constants, existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface PrepareOptions {
  dataDir: string;
  streamsFile: string;
  dbFile: string;
  /** The package root, holding flows/default-flow.json and flows/streams.example.yaml. */
  packageRoot: string;
  /** The package's name, to notice another copy of it in the data directory. */
  packageName: string;
}

export interface PrepareResult {
  /** One line per file or directory created. */
  created: string[];
  warnings: string[];
  flowsFile: string;
}

export const DEFAULT_FLOW = join('flows', 'default-flow.json');
export const STREAMS_EXAMPLE = join('flows', 'streams.example.yaml');

export async function prepareDataDir(options: PrepareOptions): Promise<PrepareResult> {
  const created: string[] = [];
  const warnings: string[] = [];
  if (!existsSync(options.dataDir)) {
    // 0700: the directory holds the history, the flows' credentials and often camera passwords.
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    created.push(`created the data directory ${options.dataDir}`);
  }
  for (const file of [options.streamsFile, options.dbFile]) await mkdir(dirname(file), { recursive: true, mode: 0o700 });

  const flowsFile = join(options.dataDir, 'flows.json');
  if (await copyIfMissing(join(options.packageRoot, DEFAULT_FLOW), flowsFile, 0o600)) {
    created.push(`installed the default flow as ${flowsFile}`);
  }
  if (await copyIfMissing(join(options.packageRoot, STREAMS_EXAMPLE), options.streamsFile, 0o600)) {
    created.push(`created ${options.streamsFile} from the example: add your cameras there (it is reloaded on save)`);
  }

  const other = join(options.dataDir, 'node_modules', ...options.packageName.split('/'));
  if (existsSync(other) && !sameDirectory(other, options.packageRoot)) {
    warnings.push(
      `${other} holds another copy of ${options.packageName} (${versionOf(other)}); Node-RED loads that one instead of ` +
        `${options.packageRoot}. Remove it (npm uninstall in ${options.dataDir}) to run this one.`,
    );
  }
  return { created, warnings, flowsFile };
}

/** COPYFILE_EXCL: an existing file is never replaced, even by a second start racing this one. */
async function copyIfMissing(from: string, to: string, mode: number): Promise<boolean> {
  try {
    await copyFile(from, to, constants.COPYFILE_EXCL);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  await chmod(to, mode);
  return true;
}

function sameDirectory(a: string, b: string): boolean {
  try {
    const x = statSync(join(a, 'package.json'));
    const y = statSync(join(b, 'package.json'));
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

function versionOf(dir: string): string {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? `version ${parsed.version}` : 'unknown version';
  } catch {
    return 'unreadable package.json';
  }
}
