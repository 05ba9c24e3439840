import type { Db } from './db.js';
import { StoreError } from './errors.js';
import { MIGRATIONS } from './schema.js';

/**
 * Brings the file to the newest schema. The version lives in `PRAGMA user_version` (in the file
 * header, https://www.sqlite.org/pragma.html#pragma_user_version), and each migration runs with
 * its version bump in one transaction: a crash leaves the old or the new schema, never half.
 * Returns the versions [from, to].
 */
export async function migrate(db: Db, migrations: readonly string[] = MIGRATIONS): Promise<[number, number]> {
  const from = await userVersion(db);
  if (from > migrations.length) {
    // A newer StreamPulse wrote this file; writing to it with an older layout could damage it.
    throw new StoreError('other', `database schema v${from} is newer than this version supports (v${migrations.length})`);
  }
  for (let version = from; version < migrations.length; version++) {
    const script = migrations[version] ?? '';
    await db.transaction(async () => {
      // Another process may have migrated while we waited for the write lock.
      if ((await userVersion(db)) !== version) return;
      await db.exec(script);
      await db.exec(`PRAGMA user_version = ${version + 1}`);
    });
  }
  return [from, await userVersion(db)];
}

export async function userVersion(db: Db): Promise<number> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  return row?.user_version ?? 0;
}
