/** The editor and dashboard addresses printed at start. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dashboardBases, displayHosts, startUrls } from '../../../nodes/lib/launch/urls.js';

const REPO = join(__dirname, '..', '..', '..', '..');

describe('dashboardBases', () => {
  it('finds /streampulse in the default flow', () => {
    assert.deepEqual(dashboardBases(JSON.parse(readFileSync(join(REPO, 'flows', 'default-flow.json'), 'utf8'))), ['/streampulse']);
  });

  it('skips disabled nodes, nodes on disabled tabs and nodes that do not serve', () => {
    const flows = [
      { id: 't1', type: 'tab' },
      { id: 't2', type: 'tab', disabled: true },
      { id: 'a', type: 'heartbeat-store', z: 't1', serve: true, base: 'cams/' },
      { id: 'b', type: 'heartbeat-store', z: 't1', serve: true, base: '/cams' },
      { id: 'c', type: 'heartbeat-store', z: 't1', d: true, serve: true, base: '/off' },
      { id: 'd', type: 'heartbeat-store', z: 't2', serve: true, base: '/tab-off' },
      { id: 'e', type: 'heartbeat-store', z: 't1', serve: false, base: '/quiet' },
      { id: 'f', type: 'heartbeat-store', z: 't1', base: '' },
      { id: 'g', type: 'heartbeat-store', z: 't1', base: '/bad path' },
      { id: 'h', type: 'debug', z: 't1' },
    ];
    assert.deepEqual(dashboardBases(flows), ['/cams', '/streampulse']);
    assert.deepEqual(dashboardBases({ not: 'a list' }), []);
  });
});

describe('displayHosts and startUrls', () => {
  const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
    ({ address, family, internal, netmask: '', mac: '', cidr: null, scopeid: 0 });
  const interfaces = { lo: [nic('127.0.0.1', 'IPv4', true)], eth0: [nic('192.168.1.5', 'IPv4'), nic('fe80::1', 'IPv6')], wlan0: [nic('10.0.0.7', 'IPv4')], docker0: [nic('172.17.0.1', 'IPv4')] };

  it('shows localhost and up to two LAN addresses when listening everywhere', () => {
    assert.deepEqual(displayHosts(undefined, interfaces), ['localhost', '192.168.1.5', '10.0.0.7']);
    assert.deepEqual(displayHosts('0.0.0.0', {}), ['localhost']);
    assert.deepEqual(displayHosts('127.0.0.1', interfaces), ['127.0.0.1']);
    assert.deepEqual(displayHosts('::1', interfaces), ['[::1]']);
  });

  it('builds editor and dashboard URLs under the HTTP root', () => {
    assert.deepEqual(startUrls(['localhost'], 1880, '/', ['/streampulse']), {
      editor: ['http://localhost:1880/'],
      dashboards: ['http://localhost:1880/streampulse/'],
    });
    assert.deepEqual(startUrls(['localhost', '192.168.1.5'], 8099, '/nr/', ['/streampulse']), {
      editor: ['http://localhost:8099/nr/', 'http://192.168.1.5:8099/nr/'],
      dashboards: ['http://localhost:8099/nr/streampulse/', 'http://192.168.1.5:8099/nr/streampulse/'],
    });
  });
});
