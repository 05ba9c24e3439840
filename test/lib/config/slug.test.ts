import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ID_PATTERN, idFromName, slugify } from '../../../nodes/lib/config/slug.js';

describe('slugify', () => {
  it('lower-cases and joins words with one underscore', () => {
    assert.equal(slugify('Front Door'), 'front_door');
    assert.equal(slugify('  Front -- Door  '), 'front_door');
    assert.equal(slugify('Cam #1 (north)'), 'cam_1_north');
  });

  it('strips accents and spells out letters NFKD keeps', () => {
    assert.equal(slugify('Haustür Süd'), 'haustur_sud');
    assert.equal(slugify('Café Crème'), 'cafe_creme');
    assert.equal(slugify('Straße'), 'strasse');
    assert.equal(slugify('Łódź Øst Æble'), 'lodz_ost_aeble');
    assert.equal(slugify('ＣＡＭ１'), 'cam1'); // full-width forms fold to ASCII under NFKD
  });

  it('drops emoji and other symbols', () => {
    assert.equal(slugify('📷 Garden 🌳 cam'), 'garden_cam');
    assert.equal(slugify('📷🌳'), '');
  });

  it('caps at 64 characters without a trailing underscore', () => {
    const slug = slugify(`${'a'.repeat(63)} b`);
    assert.equal(slug, 'a'.repeat(63));
    assert.equal(slugify('x'.repeat(200)).length, 64);
    assert.match(slugify('x'.repeat(200)), ID_PATTERN);
  });

  it('always yields a valid id or nothing', () => {
    for (const name of ['A', '---a---', 'Ünïcödé ñame', '9 lives', 'tab\tname', 'a'.repeat(70)]) {
      assert.match(slugify(name), ID_PATTERN, name);
    }
  });
});

describe('idFromName', () => {
  it('uses the slug when there is one', () => {
    assert.deepEqual(idFromName('Front Door'), { id: 'front_door', hashed: false });
  });

  it('falls back to a stable digest for names without Latin letters or digits', () => {
    const a = idFromName('監視カメラ');
    assert.equal(a.hashed, true);
    assert.match(a.id, /^cam_[0-9a-f]{8}$/);
    assert.match(a.id, ID_PATTERN);
    assert.deepEqual(idFromName('監視カメラ'), a);
    assert.notEqual(idFromName('玄関カメラ').id, a.id);
  });
});
