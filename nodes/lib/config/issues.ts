/**
 * One shape for every complaint about a camera list (YAML syntax, schema, normalisation), and one
 * way to print it: `<file>:<line>: <field>: <message>`, e.g.
 * `streams.yaml:12: streams[3].url: must start with rtsp://, rtsps://, http:// or https://`.
 */

/** A location inside the document: keys and list indexes, as in `['streams', 3, 'url']`. */
export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export interface Issue {
  /** The node the issue is about (its line is reported). */
  at: Path;
  /** Report the line of the key at `at` rather than of its value (unknown keys). */
  atKey?: boolean;
  /** The field shown before the message; defaults to `at`; null shows none. */
  field?: Path | null;
  message: string;
}

/** Finds the 1-based line of a node; undefined when the source has no lines (editor list). */
export type LineOf = (path: Path, atKey: boolean) => number | undefined;

/** The most issues one report lists; a file with thousands of broken rows stays readable. */
export const MAX_REPORTED = 50;

/** `['streams', 3, 'url']` → `streams[3].url`; odd keys are quoted: `streams[0]["my key"]`. */
export function fieldPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function formatIssue(source: string, issue: Issue, lineOf: LineOf): string {
  const line = lineOf(issue.at, issue.atKey ?? false);
  const where = line === undefined ? source : `${source}:${line}`;
  const field = issue.field === null ? '' : fieldPath(issue.field ?? issue.at);
  return field === '' ? `${where}: ${issue.message}` : `${where}: ${field}: ${issue.message}`;
}

/** Formats, orders by line (stable), drops exact repeats and caps the list. */
export function formatIssues(source: string, issues: readonly Issue[], lineOf: LineOf): string[] {
  const lines = issues.map((issue, index) => ({
    index,
    line: lineOf(issue.at, issue.atKey ?? false) ?? 0,
    text: formatIssue(source, issue, lineOf),
  }));
  lines.sort((a, b) => a.line - b.line || a.index - b.index);
  const unique = [...new Set(lines.map((l) => l.text))];
  if (unique.length <= MAX_REPORTED) return unique;
  const rest = unique.length - MAX_REPORTED;
  return [...unique.slice(0, MAX_REPORTED), `${source}: … and ${rest} more`];
}

/** JSON Pointer (RFC 6901) → path; array indexes become numbers. */
export function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw): PathSegment => {
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(seg) ? Number(seg) : seg;
    });
}
