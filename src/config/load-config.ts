// Reading the configuration file (find-config.ts finds it). Every problem is one line naming the
// file, the line and the key.
import fs from 'node:fs';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './config-schema.js';

export { ConfigError, findConfig, LOCAL_CONFIG, userConfigPath } from './find-config.js';
import { ConfigError } from './find-config.js';

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    throw new ConfigError(`${file}: cannot read the configuration file${code === 'ENOENT' ? ' (no such file)' : `: ${err instanceof Error ? err.message : String(err)}`}`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    throw new ConfigError(`${file}:${counter.linePos(yamlError.pos[0]).line}: invalid YAML: ${yamlError.message.split('\n')[0] ?? ''}`);
  }
  const value: unknown = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(value);
  // one line per problem, each prefixed like the first (which the CLI prefixes)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => describeIssue(file, doc, counter, i));
    throw new ConfigError(lines.sort((a, b) => lineNumber(a) - lineNumber(b)).join('\nincident-analyser: '));
  }
  return parsed.data;
}

function describeIssue(file: string, doc: Document, counter: LineCounter, issue: z.core.$ZodIssue): string {
  const p = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const line = keyLine(doc, counter, p, key) ?? lineOf(doc, counter, p);
    const where = p.length ? ` in ${p.join('.')}` : '';
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `"${k}"`).join(', ')})` : '';
    return `${file}:${line ?? 1}: unknown key "${key}"${where}${more}`;
  }
  return `${file}:${lineOf(doc, counter, p) ?? 1}: ${p.length ? p.join('.') : '(top level)'}: ${issue.message}`;
}

function lineNumber(message: string): number {
  return Number(/:(\d+): /.exec(message)?.[1] ?? 0);
}

function keyLine(doc: Document, counter: LineCounter, p: Array<string | number>, key: string): number | undefined {
  const node = p.length ? doc.getIn(p, true) : doc.contents;
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && pair.key.value === key && pair.key.range) return counter.linePos(pair.key.range[0]).line;
  }
  return undefined;
}

/** Line of the YAML node at `p` (or its nearest existing parent). */
function lineOf(doc: Document, counter: LineCounter, p: Array<string | number>): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
