/**
 * Stream ids derived from names. An id is the key of a stream's history, MQTT entities and
 * metrics, so the derivation must never change between releases: lower-case ASCII, accents
 * stripped, every other run of characters one `_`, at most 64 characters.
 */
import { createHash } from 'node:crypto';

export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_ID_LENGTH = 64;

/** Latin letters that Unicode decomposition (NFKD) leaves alone but readers expect spelled out. */
const SPELLED: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};

/** `Haustür – Süd` → `haustur_sud`; '' when nothing ASCII-alphanumeric remains. */
export function slugify(name: string): string {
  const ascii = name
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (ch) => SPELLED[ch] ?? ch)
    .normalize('NFKD')
    // Combining marks are what NFKD split off the base letters (é → e + ◌́).
    .replace(/\p{M}/gu, '');
  const slug = ascii.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return slug.slice(0, MAX_ID_LENGTH).replace(/_+$/, '');
}

export interface DerivedId {
  id: string;
  /** True when the name had no usable letters (e.g. only CJK or emoji) and the id is a digest. */
  hashed: boolean;
}

/**
 * The id for a stream without an explicit one. A name without Latin letters or digits gets
 * `cam_` + 8 hex digits of its SHA-256: still stable for that name, but not readable, so the
 * loader suggests an explicit id.
 */
export function idFromName(name: string): DerivedId {
  const slug = slugify(name);
  if (slug !== '') return { id: slug, hashed: false };
  const digest = createHash('sha256').update(name.trim().normalize('NFC')).digest('hex');
  return { id: `cam_${digest.slice(0, 8)}`, hashed: true };
}
