/**
 * Passwords of a streams file never reach the dashboard. `maskSecrets` replaces every password
 * in the text the page edits with "********": a `password:` value (or the anchored value a
 * password alias points to), the password in a URL's userinfo and password-like query values.
 * `restoreSecrets` puts the saved values back where the edited text still says "********",
 * matching each stream by id, then by name. Both edit the source text by node ranges, so
 * comments, key order and formatting survive a round trip through the editor.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Scalar } from 'yaml';
import { fieldPath } from './issues.js';
import type { Path, PathSegment } from './issues.js';
import { idFromName } from './slug.js';
import { findUrlSecrets, replaceUrlSecrets } from './url-secrets.js';

export const MASK = '********';

/** A complaint about the edited text, on its 1-based line. */
export interface SecretIssue {
  line: number;
  message: string;
}

export type RestoreResult = { ok: true; text: string } | { ok: false; errors: SecretIssue[] };

// Field names a password hides under: the schema knows only `password`; the others are refused
// by it as unknown keys, but are masked all the same so a typo never shows a password.
const PASSWORD_KEY = /^(pass(word)?|pwd|secret)$/i;
/** `${NAME}` names an environment variable: not a secret, and useful to see in the editor. */
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

interface Site {
  node: Scalar;
  path: Path;
  kind: 'secret' | 'url';
  /** Inside a flow collection (`{…}`/`[…]`), where a plain scalar may not contain `,` or `]`. */
  inFlow: boolean;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The text with every password replaced by "********"; a broken YAML is masked line by line. */
export function maskSecrets(text: string): string {
  const doc = parse(text);
  const edits: Edit[] = [];
  for (const site of findSites(doc)) {
    const replacement = site.kind === 'secret' ? MASK : maskUrl(String(site.node.value));
    edits.push(edit(text, site.node, JSON.stringify(replacement)));
  }
  const masked = applyEdits(text, edits);
  // A document with syntax errors may hide values from the parser: mask by line as well.
  return doc.errors.length > 0 ? maskByLine(masked) : masked;
}

/**
 * `edited` with the passwords of `saved` put back where it says "********". A password is only
 * restored into the same stream with the same camera host: sending a saved password to a host
 * someone just typed in would hand it to whoever runs that host.
 */
export function restoreSecrets(edited: string, saved: string): RestoreResult {
  const lines = new LineCounter();
  const doc = parse(edited, lines);
  // A syntax error is reported by validation; nothing can be restored into a broken document.
  if (doc.errors.length > 0) return { ok: true, text: edited };
  const savedDoc = parse(saved);
  const savedOk = savedDoc.errors.length === 0;
  const streamsNow = streamKeys(doc);
  const streamsSaved = savedOk ? streamKeys(savedDoc) : [];
  const savedSites = new Map<string, Site>();
  if (savedOk) for (const site of findSites(savedDoc)) savedSites.set(pathKey(site.path), site);
  const errors: SecretIssue[] = [];
  const edits: Edit[] = [];
  const fail = (site: Site, why: string): void => {
    errors.push({ line: lines.linePos(site.node.range?.[0] ?? 0).line, message: `${fieldPath(site.path)}: ${why}` });
  };

  for (const site of findSites(doc)) {
    const value = String(site.node.value);
    if (site.kind === 'secret' ? value !== MASK : !findUrlSecrets(value).some((s) => s.value === MASK)) continue;
    const mapped = mapPath(site.path, streamsNow, streamsSaved);
    const before = mapped ? savedSites.get(pathKey(mapped.path)) : undefined;
    if (!mapped || !before || before.kind !== site.kind) {
      fail(site, `is "${MASK}" but no saved password belongs here: type the password again`);
      continue;
    }
    if (mapped.hostNow !== mapped.hostSaved) {
      fail(site, `is "${MASK}" but the camera's host changed: type the password again for the new host`);
      continue;
    }
    if (site.kind === 'secret') {
      edits.push(edit(edited, site.node, savedSource(saved, before, site.inFlow)));
      continue;
    }
    const restored = replaceUrlSecrets(value, findUrlSecrets(String(before.node.value)));
    if (!restored.ok) {
      fail(site, `has "${MASK}" where the saved URL has no ${restored.missing}: type the password again`);
      continue;
    }
    edits.push(edit(edited, site.node, JSON.stringify(restored.value)));
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, text: applyEdits(edited, edits) };
}

function parse(text: string, lineCounter?: LineCounter): Document {
  // Duplicate keys are tolerated here (validation reports them); only positions matter.
  return parseDocument(text, { uniqueKeys: false, prettyErrors: false, ...(lineCounter ? { lineCounter } : {}) });
}

/** Every password-bearing scalar: password fields, the targets of their aliases, URLs with secrets. */
function findSites(doc: Document): Site[] {
  const sites: Site[] = [];
  const pathOf = new Map<unknown, { path: Path; inFlow: boolean }>();
  const aliasTargets = new Set<unknown>();
  const walk = (node: unknown, path: Path, inFlow: boolean): void => {
    if (isMap(node) || isSeq(node)) {
      const flow = inFlow || node.flow === true;
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (PASSWORD_KEY.test(key) && isAlias(pair.value)) aliasTargets.add(pair.value.resolve(doc));
          walk(pair.value, [...path, key], flow);
        }
      } else node.items.forEach((item, i) => walk(item, [...path, i], flow));
      return;
    }
    if (!isScalar(node) || !node.range) return;
    pathOf.set(node, { path, inFlow });
    const key = path.at(-1);
    if (typeof key === 'string' && PASSWORD_KEY.test(key)) {
      if (isSecretValue(node.value)) sites.push({ node, path, kind: 'secret', inFlow });
    } else if (typeof node.value === 'string' && findUrlSecrets(node.value).length > 0) {
      sites.push({ node, path, kind: 'url', inFlow });
    }
  };
  walk(doc.contents, [], false);
  // `area: &pw hunter2` … `password: *pw`: the anchored value is a password too.
  for (const target of aliasTargets) {
    const at = pathOf.get(target);
    if (isScalar(target) && at && isSecretValue(target.value) && !sites.some((s) => s.node === target)) {
      sites.push({ node: target, path: at.path, kind: 'secret', inFlow: at.inFlow });
    }
  }
  return sites;
}

function isSecretValue(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  return !(typeof value === 'string' && ENV_REFERENCE.test(value));
}

function maskUrl(value: string): string {
  const masked = replaceUrlSecrets(value, findUrlSecrets(value).map((s) => ({ ...s, value: MASK })), true);
  return masked.ok ? masked.value : MASK;
}

interface StreamKey {
  id?: string;
  name?: string;
  host?: string;
}

/** Id (explicit or derived from the name), name and camera host of each stream of a document. */
function streamKeys(doc: Document): StreamKey[] {
  const streams = doc.get('streams');
  if (!isSeq(streams)) return [];
  return streams.items.map((item) => {
    if (!isMap(item)) return {};
    const text = (key: string): string | undefined => {
      const v: unknown = item.get(key);
      return typeof v === 'string' ? v.trim() : undefined;
    };
    const name = text('name');
    const id = text('id') ?? (name !== undefined ? idFromName(name).id : undefined);
    return { ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}), ...hostOf(text('url')) };
  });
}

function hostOf(url: string | undefined): { host?: string } {
  if (url === undefined) return {};
  try {
    return { host: new URL(url).host.toLowerCase() };
  } catch {
    return {};
  }
}

/**
 * The saved document's path for an edited one: `streams[i]` becomes the index of the saved
 * stream with the same id, else the same name (names compare as the loader does: NFC, any case).
 */
function mapPath(path: Path, now: readonly StreamKey[], saved: readonly StreamKey[]): { path: Path; hostNow?: string; hostSaved?: string } | undefined {
  const [first, index, ...rest] = path;
  if (first !== 'streams' || typeof index !== 'number') return { path };
  const mine = now[index];
  if (!mine) return undefined;
  const sameName = (a?: string, b?: string): boolean =>
    a !== undefined && b !== undefined && a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
  let j = mine.id === undefined ? -1 : saved.findIndex((s) => s.id === mine.id);
  if (j < 0) j = saved.findIndex((s) => sameName(s.name, mine.name));
  if (j < 0) return undefined;
  const segments: PathSegment[] = ['streams', j, ...rest];
  return { path: segments, ...(mine.host ? { hostNow: mine.host } : {}), ...(saved[j]?.host ? { hostSaved: saved[j]?.host } : {}) };
}

function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/** The saved value as it was written when that is safe to paste here, else as a JSON string. */
function savedSource(saved: string, site: Site, intoFlow: boolean): string {
  const [start = 0, end = 0] = site.node.range ?? [];
  const source = saved.slice(start, end);
  const quoted = site.node.type === 'QUOTE_DOUBLE' || site.node.type === 'QUOTE_SINGLE';
  const plainOk = site.node.type === 'PLAIN' && !intoFlow && !site.inFlow;
  if ((quoted || plainOk) && !source.includes('\n')) return source;
  return JSON.stringify(String(site.node.value));
}

/** Replaces a scalar's source; a block scalar's range ends with its line break, which stays. */
function edit(text: string, node: Scalar, replacement: string): Edit {
  const [start = 0, end = 0] = node.range ?? [];
  const keepBreak = text.slice(start, end).endsWith('\n') ? '\n' : '';
  return { start, end, text: replacement + keepBreak };
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Fallback for a document the parser could not read: `password: …` lines and URL userinfo. */
function maskByLine(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const field = /^(\s*(?:-\s+)?["']?(?:pass(?:word)?|pwd|secret)["']?\s*:\s*)(\S.*)$/i.exec(line);
      if (field && !ENV_REFERENCE.test(field[2]?.trim() ?? '')) return `${field[1] ?? ''}${JSON.stringify(MASK)}`;
      return line.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s"']*):([^@\s/"']*)@/gi, `$1:${MASK}@`);
    })
    .join('\n');
}
