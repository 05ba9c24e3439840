/**
 * Parses the streams YAML while keeping the source positions, so that a schema complaint about
 * `/streams/3/url` can name the line the user has to fix. Uses the `yaml` package's document API
 * (nodes carry `range` offsets; a LineCounter turns offsets into lines).
 */
import { LineCounter, isMap, isNode, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import type { LineOf, Path } from './issues.js';

export type YamlParse =
  | { ok: true; value: unknown; lineOf: LineOf; warnings: string[] }
  | { ok: false; errors: string[] };

/** Aliases may expand a few times (anchors for shared settings) but not explode (billion laughs). */
const MAX_ALIAS_COUNT = 1000;

export function parseYaml(text: string, file: string): YamlParse {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema (the yaml default): `yes`/`no` stay strings, duplicate keys are errors.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lineCounter.linePos(clampToContent(text, offset)).line;
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `${file}:${lineAt(e.pos[0])}: YAML syntax error: ${firstLine(e.message)}`) };
  }
  const warnings = doc.warnings.map((w) => `${file}:${lineAt(w.pos[0])}: YAML: ${firstLine(w.message)}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // toJS only throws for alias abuse; the yaml package gives no position for it.
    return { ok: false, errors: [`${file}:1: YAML error: ${firstLine(err instanceof Error ? err.message : String(err))}`] };
  }
  const lineOf: LineOf = (path, atKey) => {
    const offset = locate(doc, path, atKey);
    return offset === undefined ? 1 : lineAt(offset);
  };
  return { ok: true, value, lineOf, warnings };
}

/**
 * Offset of the node at `path` (or of its key). A path that goes further than the document (a
 * missing key) resolves to the deepest node that exists, which is where the key belongs.
 */
function locate(doc: Document, path: Path, atKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let best = start(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    let pair: Pair | undefined;
    if (isMap(node)) {
      pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (pair === undefined) return best;
      const isLast = i === path.length - 1;
      if (isLast && atKey) return start(pair.key) ?? best;
      // `url:` with nothing after it has a value node without a useful range: use the key's line.
      node = pair.value;
      best = start(node) ?? start(pair.key) ?? best;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      best = start(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function start(node: unknown): number | undefined {
  if (isNode(node)) return (node as Node).range?.[0];
  if (isPair(node)) return start(node.key);
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/** An error at end of input (an unclosed bracket) is reported on the last line with content. */
function clampToContent(text: string, offset: number): number {
  const trimmed = text.trimEnd().length;
  return Math.max(0, Math.min(offset, trimmed > 0 ? trimmed - 1 : 0));
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}
