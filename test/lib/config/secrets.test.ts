import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamsConfig } from '../../../nodes/lib/config/load.js';
import { MASK, maskSecrets, restoreSecrets } from '../../../nodes/lib/config/secrets.js';
import { findUrlSecrets } from '../../../nodes/lib/config/url-secrets.js';

const SAVED = `# cameras of the house
timezone: Europe/Berlin
streams:
  - name: Front door          # the porch
    url: rtsp://10.0.0.20:554/stream1
    username: admin
    password: hunter2
  - name: Garage
    id: garage
    url: rtsp://viewer:p%40ss:w0rd@10.0.0.21/live?token=tok123&quality=hi
  - name: Yard
    url: http://10.0.0.22/snapshot.jpg
    password: "quoted secret"
  - name: Env cam
    url: rtsp://10.0.0.23/
    password: \${CAM_PASSWORD}
  - {name: Flow cam, url: "rtsp://10.0.0.24/", password: 'flow, secret'}
  - name: Block cam
    url: rtsp://10.0.0.25/
    password: |
      block secret
    area: outside
`;
const SECRETS = ['hunter2', 'p%40ss:w0rd', 'p@ss:w0rd', 'tok123', 'quoted secret', 'flow, secret', 'block secret'];

function assertNoSecret(text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `"${secret}" is visible:\n${text}`);
}

describe('maskSecrets', () => {
  it('replaces every password, URL password and token, and nothing else', () => {
    const masked = maskSecrets(SAVED);
    assertNoSecret(masked);
    assert.match(masked, /# cameras of the house/);
    assert.match(masked, /name: Front door {10}# the porch/);
    assert.match(masked, /password: "\*\*\*\*\*\*\*\*"\n/);
    assert.match(masked, /url: "rtsp:\/\/viewer:\*\*\*\*\*\*\*\*@10\.0\.0\.21\/live\?token=\*\*\*\*\*\*\*\*&quality=hi"/);
    // An environment reference is no secret, and the editor should show it.
    assert.match(masked, /password: \$\{CAM_PASSWORD\}/);
    // The block scalar's line break stays: the next key keeps its own line.
    assert.match(masked, /password: "\*\*\*\*\*\*\*\*"\n {4}area: outside/);
    // The masked file still parses, with the same streams.
    const parsed = parseStreamsConfig(masked, 'streams.yaml', { CAM_PASSWORD: 'x' });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.config.streams.map((s) => s.id), ['front_door', 'garage', 'yard', 'env_cam', 'flow_cam', 'block_cam']);
    assert.equal(parsed.config.streams[0]?.password, MASK);
  });

  it('masks the anchored value a password alias points to', () => {
    const text = 'streams:\n  - name: A\n    url: rtsp://h/\n    area: &pw sneaky\n  - name: B\n    url: rtsp://h/\n    password: *pw\n';
    const masked = maskSecrets(text);
    assert.ok(!masked.includes('sneaky'), masked);
    assert.match(masked, /area: &pw "\*\*\*\*\*\*\*\*"/);
  });

  it('masks a file that does not parse, line by line', () => {
    const broken = 'streams:\n  - name: A\n    url: rtsp://admin:topsecret@h/\n    password: hunter2\n  - [unclosed\n';
    const masked = maskSecrets(broken);
    assert.ok(!masked.includes('topsecret') && !masked.includes('hunter2'), masked);
  });

  it('finds a URL password with a raw @ the way the URL parser does', () => {
    const [secret] = findUrlSecrets('rtsp://admin:p@ss@cam/x');
    assert.equal(secret?.value, 'p@ss');
    assert.deepEqual(findUrlSecrets('http://cam:8080/x?mail=a@b'), [], 'a port is not a password');
  });
});

describe('restoreSecrets', () => {
  it('puts the saved passwords back where the text still says ********', () => {
    const masked = maskSecrets(SAVED);
    const restored = restoreSecrets(masked, SAVED);
    assert.ok(restored.ok, JSON.stringify(restored));
    const before = parseStreamsConfig(SAVED, 'streams.yaml', { CAM_PASSWORD: 'x' });
    const after = parseStreamsConfig(restored.text, 'streams.yaml', { CAM_PASSWORD: 'x' });
    assert.ok(before.ok && after.ok);
    assert.deepEqual(after.config, before.config);
    // Untouched passwords come back as they were written.
    assert.match(restored.text, /password: hunter2\n/);
    assert.match(restored.text, /password: "quoted secret"/);
  });

  it('follows a stream by id, then by name, when the list is reordered and edited', () => {
    const masked = maskSecrets(SAVED);
    const yard = / {2}- name: Yard\n(?: {4}.*\n)+/.exec(masked)?.[0] ?? '';
    const front = / {2}- name: Front door.*\n(?: {4}.*\n)+/.exec(masked)?.[0] ?? '';
    const garage = / {2}- name: Garage\n(?: {4}.*\n)+/.exec(masked)?.[0] ?? '';
    assert.ok(yard && front && garage);
    // Yard moves first; Garage is renamed (its explicit id keeps it); Front door gets an interval.
    const edited = `streams:\n${yard}${garage.replace('name: Garage', 'name: Carport')}${front}    interval: 30\n`;
    const restored = restoreSecrets(edited, SAVED);
    assert.ok(restored.ok, JSON.stringify(restored));
    const parsed = parseStreamsConfig(restored.text, 'streams.yaml');
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const byId = new Map(parsed.config.streams.map((s) => [s.id, s]));
    assert.equal(byId.get('yard')?.password, 'quoted secret');
    assert.equal(byId.get('front_door')?.password, 'hunter2');
    assert.equal(byId.get('garage')?.name, 'Carport');
    assert.equal(byId.get('garage')?.url, 'rtsp://viewer:p%40ss:w0rd@10.0.0.21/live?token=tok123&quality=hi');
  });

  it('keeps a newly typed password and refuses a mask with nothing saved behind it', () => {
    const masked = maskSecrets(SAVED);
    const typed = restoreSecrets(masked.replace(/password: "\*+"/, 'password: brand-new'), SAVED);
    assert.ok(typed.ok);
    assert.match(typed.text, /password: brand-new/);
    const added = `${masked}  - name: New cam\n    url: rtsp://10.0.0.99/\n    password: "${MASK}"\n`;
    const refused = restoreSecrets(added, SAVED);
    assert.ok(!refused.ok);
    assert.equal(refused.errors.length, 1);
    assert.match(refused.errors[0]?.message ?? '', /^streams\[6\]\.password: .*type the password again/);
    assert.equal(refused.errors[0]?.line, added.split('\n').length - 1);
  });

  it('never sends a saved password to a host someone just typed in', () => {
    const masked = maskSecrets(SAVED);
    const moved = masked.replace('rtsp://10.0.0.20:554/stream1', 'rtsp://attacker.example:554/stream1');
    const refused = restoreSecrets(moved, SAVED);
    assert.ok(!refused.ok);
    assert.match(refused.errors[0]?.message ?? '', /streams\[0\]\.password: .*host changed/);
    const urlMoved = masked.replace('@10.0.0.21/', '@evil.example/');
    const refusedUrl = restoreSecrets(urlMoved, SAVED);
    assert.ok(!refusedUrl.ok);
    assert.match(refusedUrl.errors[0]?.message ?? '', /streams\[1\]\.url: .*host changed/);
  });
});
