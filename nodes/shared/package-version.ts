import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let version: string | undefined;

/** This package's version (package.json beside dist/), read once; '0.0.0' when unreadable. */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      // dist/nodes/<node>/x.js → the package root is three levels up.
      const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
