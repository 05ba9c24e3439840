import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, dashboardFixture, TOKEN } from './dashboard-fixtures.js';
import type { DashboardFixture } from './dashboard-fixtures.js';

describe('api/info', () => {
  let f: DashboardFixture;
  before(async () => {
    f = await dashboardFixture({ version: '1.2.3', failuresToOffline: 3 });
  });
  after(async () => {
    await f.close();
  });

  it('gives version, the streams file time zone, the CSRF token, the offline threshold and the file', async () => {
    const file = join(f.dir, 'streams.yaml');
    const res = await call({ ...f.ctx, timezone: 'UTC', cameras: () => ({ streams: [], timezone: 'Europe/Berlin', file }) }, '/api/info');
    assert.equal(res.status, 200);
    assert.equal(res.headers['Cache-Control'], 'no-store');
    assert.deepEqual(res.json(), {
      version: '1.2.3',
      timezone: 'Europe/Berlin',
      csrfToken: TOKEN,
      health: { failuresToOffline: 3 },
      streamsFile: { editable: true, name: 'streams.yaml' },
    });
  });

  it('falls back to the system time zone and says the list is not editable without a file', async () => {
    const body = (await call({ ...f.ctx, failuresToOffline: undefined }, '/api/info')).json();
    assert.equal(body.timezone, new Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.deepEqual(body.health, { failuresToOffline: 2 });
    assert.deepEqual(body.streamsFile, { editable: false, name: null });
    const noToken = (await call({ ...f.ctx, csrfToken: undefined, cameras: () => ({ streams: [], file: join(f.dir, 'x.yaml') }) }, '/api/info')).json();
    assert.deepEqual(noToken.streamsFile, { editable: false, name: 'x.yaml' }, 'no token, no writes');
  });
});
