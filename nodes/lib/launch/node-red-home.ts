/**
 * Finds the Node-RED installation that `npm start` runs: the package's own (a devDependency in a
 * checkout) or one further up (the Home Assistant image puts node-red in /opt/node_modules and
 * this package in /opt/streampulse). Modules of Node-RED's tree (express, bcryptjs) are loaded
 * from there, so the versions always match the running Node-RED.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface NodeRedHome {
  /** The node-red package directory. */
  dir: string;
  version: string;
  /** `require` as seen from inside the node-red package. */
  load(id: string): unknown;
}

/** undefined when no node-red can be resolved from `fromDir` upwards. */
export function findNodeRed(fromDir: string): NodeRedHome | undefined {
  let manifest: string;
  try {
    manifest = createRequire(join(fromDir, 'noop.js')).resolve('node-red/package.json');
  } catch {
    return undefined;
  }
  const dir = dirname(manifest);
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
  const inside = createRequire(manifest);
  return {
    dir,
    version: typeof parsed.version === 'string' ? parsed.version : 'unknown',
    load: (id) => inside(id) as unknown,
  };
}

/** bcryptjs from Node-RED's tree: the same hashing Node-RED checks `adminAuth` passwords with. */
export interface Bcrypt {
  hashSync(password: string, rounds: number): string;
  compare(password: string, hash: string): Promise<boolean>;
}

export function loadBcrypt(home: NodeRedHome): Bcrypt {
  const mod = home.load('bcryptjs') as Partial<Bcrypt> & { default?: Partial<Bcrypt> };
  const lib = typeof mod.hashSync === 'function' ? mod : mod.default;
  if (typeof lib?.hashSync !== 'function' || typeof lib.compare !== 'function') {
    throw new Error(`bcryptjs in ${home.dir} has no hashSync/compare`);
  }
  return lib as Bcrypt;
}
