import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { findJpegEnd, isBrokenJpeg, parseJpeg } from '../../../nodes/lib/probe/jpeg.js';
import { ffmpegJpeg, syntheticJpeg, withExifThumbnail } from '../../fixtures/jpeg-samples.js';

describe('jpeg', () => {
  let real: Buffer;
  let thumb: Buffer;
  before(() => {
    real = ffmpegJpeg(640, 480);
    thumb = ffmpegJpeg(160, 120, 'smptebars');
  });

  it('reads the size of a real ffmpeg JPEG and finds its end', () => {
    assert.deepEqual(parseJpeg(real), { width: 640, height: 480, progressive: false });
    assert.equal(findJpegEnd(real, 0), real.length);
  });

  it('finds the end of a JPEG that starts mid-buffer and is followed by more bytes', () => {
    const buf = Buffer.concat([Buffer.from('--b\r\n\r\n'), real, Buffer.from('\r\n--b\r\n'), thumb]);
    const start = 7;
    assert.equal(findJpegEnd(buf, start), start + real.length);
    assert.equal(findJpegEnd(buf, start + real.length + 7), buf.length);
  });

  it('is not fooled by the EOI of an EXIF thumbnail inside APP1', () => {
    const jpeg = withExifThumbnail(real, thumb);
    assert.ok(jpeg.indexOf(Buffer.from([0xff, 0xd9])) < jpeg.length - 2, 'the thumbnail EOI comes first');
    assert.equal(findJpegEnd(jpeg, 0), jpeg.length);
    assert.deepEqual(parseJpeg(jpeg), { width: 640, height: 480, progressive: false });
  });

  it('skips byte stuffing, restart markers and fill bytes; handles progressive scans', () => {
    const baseline = syntheticJpeg(1920, 1080);
    assert.equal(findJpegEnd(baseline, 0), baseline.length);
    assert.deepEqual(parseJpeg(baseline), { width: 1920, height: 1080, progressive: false });
    const progressive = syntheticJpeg(800, 600, true);
    assert.equal(findJpegEnd(progressive, 0), progressive.length);
    assert.deepEqual(parseJpeg(progressive), { width: 800, height: 600, progressive: true });
  });

  it('needs more data for every cut of a JPEG, and says truncated', () => {
    for (const cut of [1, 2, 3, 20, 200, real.length - 2, real.length - 1]) {
      assert.equal(findJpegEnd(real.subarray(0, cut), 0), undefined, `cut at ${cut}`);
    }
    const r = parseJpeg(real.subarray(0, real.length - 1000));
    assert.ok('error' in r && /^truncated JPEG: no EOI/.test(r.error));
  });

  it('names what a non-JPEG starts with', () => {
    const html = parseJpeg(Buffer.from('<!DOCTYPE html>\n<html><head><title>Login</title>'));
    assert.ok('error' in html);
    assert.equal(html.error, 'not a JPEG: starts with "<!DOCTYPE html> <html><head><tit…"');
    const png = parseJpeg(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    assert.ok('error' in png && png.error === 'not a JPEG: starts with 89 50 4E 47 0D 0A 1A 0A …');
    assert.deepEqual(parseJpeg(Buffer.alloc(0)), { error: 'not a JPEG: empty' });
  });

  it('accepts CR/LF padding after EOI but not other trailing bytes', () => {
    assert.ok(!('error' in parseJpeg(Buffer.concat([real, Buffer.from('\r\n')]))));
    const r = parseJpeg(Buffer.concat([real, Buffer.from('garbage')]));
    assert.ok('error' in r && /7 bytes after EOI/.test(r.error));
  });

  it('reports broken structure and a missing frame header', () => {
    const broken = Buffer.from([0xff, 0xd8, 0x12, 0x34, 0x56]);
    assert.equal(isBrokenJpeg(broken, 0), true);
    assert.ok(!isBrokenJpeg(real.subarray(0, 100), 0));
    const r = parseJpeg(broken);
    assert.ok('error' in r && /^corrupt JPEG: expected a marker/.test(r.error));
    const noSof = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    assert.deepEqual(parseJpeg(noSof), { error: 'corrupt JPEG: no frame header (SOF)' });
  });
});
