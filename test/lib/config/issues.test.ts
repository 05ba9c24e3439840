import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldPath, pointerToPath } from '../../../nodes/lib/config/issues.js';

describe('pointerToPath', () => {
  it('turns an ajv instancePath into a path, indexes as numbers', () => {
    assert.deepEqual(pointerToPath(''), []);
    assert.deepEqual(pointerToPath('/streams/12/url'), ['streams', 12, 'url']);
    assert.equal(fieldPath(pointerToPath('/streams/12/url')), fieldPath(['streams', 12, 'url']));
  });

  it('unescapes ~1 and ~0 (RFC 6901) and keeps keys that only look numeric as strings', () => {
    assert.deepEqual(pointerToPath('/a~1b/c~0d/~01'), ['a/b', 'c~d', '~1']);
    assert.deepEqual(pointerToPath('/cameras/007/0'), ['cameras', '007', 0]);
  });
});
