// Rule authoring errors that point at the right place: a schema issue at the YAML line of the
// offending key (not of the map holding it), and a Handlebars error with its whole message, the
// offending text and the line in the rule file.
import type { Document, LineCounter } from 'yaml';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
function yamlLib(): typeof import('yaml') {
  return require('yaml');
}

/** What a zod issue needs to be placed: its path, and for unknown keys the keys. */
export interface SchemaIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[] | undefined;
}

/** Line of the key `key` in the map at `mapPath`, if the document has it. */
function keyLine(doc: Document, counter: LineCounter, mapPath: Array<string | number>, key: string): number | undefined {
  const { isMap, isScalar } = yamlLib();
  const map = mapPath.length === 0 ? doc.contents : doc.getIn(mapPath, true);
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key && pair.key.range) return counter.linePos(pair.key.range[0]).line;
  }
  return undefined;
}

/** The line and the message of a schema issue. `lineOf` places a path (nearest existing node). */
export function placeIssue(
  issue: SchemaIssue,
  doc: Document,
  counter: LineCounter,
  lineOf: (p: Array<string | number>) => number | undefined,
  knownKeys: (p: Array<string | number>) => string[],
): { line: number | undefined; message: string } {
  const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
    const key = issue.keys[0] ?? '';
    const where = [...p, key].join('.');
    const near = closest(key, knownKeys(p));
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => JSON.stringify(k)).join(', ')})` : '';
    return {
      line: keyLine(doc, counter, p, key) ?? lineOf(p),
      message: `${where}: unknown key${near ? `; did you mean "${near}"?` : ''}${more}`,
    };
  }
  return { line: lineOf(p), message: `${p.length ? p.join('.') : '(top level)'}: ${issue.message}` };
}

/** The known key nearest to a misspelt one (edit distance at most 2, or a prefix). */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = k.startsWith(key) || key.startsWith(k) ? 1 : distance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * A Handlebars error as one line: the expectation, the template line and column, the offending
 * text with ⟪here⟫ at the error, and the line in the YAML file (`textLine1`: the YAML line of the
 * template's first line).
 */
export function describeTemplateError(err: unknown, source: string, textLine1: number | undefined): { line: number | undefined; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  const parse = /^Parse error on line (\d+):\n[^\n]*\n(-*)\^\n([^\n]*)/.exec(message);
  let tLine: number | undefined;
  let column: number | undefined;
  let what = message.replace(/\s*\n\s*/g, ' ');
  if (parse) {
    tLine = Number(parse[1]);
    what = parse[3] ?? what;
    // Handlebars shows up to 20 characters before the error, then dashes up to it
    const shown = /^Parse error on line \d+:\n([^\n]*)/.exec(message)?.[1] ?? '';
    const before = shown.slice(0, (parse[2] ?? '').length).replace(/^\.\.\./, '');
    const lines = source.split('\n');
    // an error at the end of a text that ends in a newline: point at the end of the last line
    while (tLine > 1 && (lines[tLine - 1] ?? '').trim() === '') tLine--;
    const textLine = lines[tLine - 1] ?? '';
    const found = textLine.lastIndexOf(before);
    column = found >= 0 ? found + before.length : /got 'EOF'/.test(what) ? textLine.length : undefined;
  } else if (err instanceof Error && 'lineNumber' in err && typeof err.lineNumber === 'number') {
    tLine = err.lineNumber;
    column = 'column' in err && typeof err.column === 'number' ? err.column : undefined;
  }
  const textLine = tLine ? (source.split('\n')[tLine - 1] ?? '') : '';
  const at = column !== undefined ? `${textLine.slice(Math.max(0, column - 40), column)}⟪here⟫${textLine.slice(column, column + 20)}` : textLine;
  const line = textLine1 === undefined ? undefined : textLine1 + (tLine ?? 1) - 1;
  const where = tLine ? ` (template line ${tLine}${column !== undefined ? `, column ${column + 1}` : ''})` : '';
  return { line, message: `bad template: ${what}${where}: ${JSON.stringify(at)}` };
}

/** Keys the schema allows in the map at `p` (for "did you mean"). */
export function knownKeysAt(p: Array<string | number>, shapes: { rule: object; pattern: object; remediation: object }): string[] {
  const named = p.filter((k): k is string => typeof k === 'string');
  if (p.length === 0) return Object.keys(shapes.rule);
  if (named.length === 1 && named[0] === 'match') return Object.keys(shapes.pattern);
  if (named.length === 1 && named[0] === 'remediation') return Object.keys(shapes.remediation);
  if (p.length === 1 && p[0] === 'examples') return ['match', 'no_match'];
  if (p.length === 1 && p[0] === 'threshold') return ['count', 'distinct'];
  return [];
}
