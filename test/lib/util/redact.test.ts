import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText, redactUrl } from '../../../nodes/lib/util/redact.js';

describe('redactUrl', () => {
  it('masks the password and keeps the user name', () => {
    assert.equal(redactUrl('rtsp://admin:s3cret@10.0.0.5:554/Streaming/Channels/101'), 'rtsp://admin:***@10.0.0.5:554/Streaming/Channels/101');
  });
  it('masks percent-encoded passwords with reserved characters', () => {
    const out = redactUrl('rtsp://admin:p%40ss%3Aw0rd@cam/x');
    assert.equal(out, 'rtsp://admin:***@cam/x');
    assert.ok(!out.includes('p%40ss'));
  });
  it('masks password-like query parameters (Reolink/Foscam style URLs)', () => {
    const out = redactUrl('http://cam/cgi-bin/api.cgi?cmd=Snap&user=admin&password=s3cret&token=abc');
    assert.ok(!out.includes('s3cret') && !out.includes('abc'), out);
    assert.ok(out.includes('user=admin'));
  });
  it('leaves URLs without secrets alone', () => {
    assert.equal(redactUrl('http://cam.local/video.mjpg'), 'http://cam.local/video.mjpg');
  });
  it('falls back to text redaction for unparsable input', () => {
    assert.equal(redactUrl('rtsp://u:pw@[bad'), 'rtsp://u:***@[bad');
  });
});

describe('redactText', () => {
  it('masks every URL password in free text (ffprobe stderr quotes the URL)', () => {
    const text = '[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized\nrtsp://admin:s3cret@127.0.0.1:8554/x: Server returned 401';
    const out = redactText(text);
    assert.ok(!out.includes('s3cret'), out);
    assert.ok(out.includes('rtsp://admin:***@127.0.0.1:8554/x'));
  });
  it('masks literal secrets, raw and percent-encoded', () => {
    const out = redactText('login p@ss failed, sent p%40ss', ['p@ss']);
    assert.equal(out, 'login *** failed, sent ***');
  });
  it('ignores empty secrets', () => {
    assert.equal(redactText('nothing here', ['', undefined]), 'nothing here');
  });
});
