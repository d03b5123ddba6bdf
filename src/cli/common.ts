// Small pieces shared by the commands: version, option parsers, warnings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { distance } from 'fastest-levenshtein';
import { SEVERITIES, type Severity } from '../model.js';
import { parseDuration } from '../rules/duration.js';
import { visibleLine } from '../text/terminal.js';

/** Where `watch` keeps its store, and where `incidents list` and `report` read by default. */
export function defaultStatePath(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'incident-analyser', 'watch.db');
}

export class UsageError extends UserError {
  override name = 'UsageError';
}

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (pkg && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // fall through
  }
  return '0.0.0';
}

export const VERSION = readVersion();

export function parseSeverity(value: string): Severity {
  const found = SEVERITIES.find((s) => s === value);
  if (!found) throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
  return found;
}

/** `--since/--until`: an ISO date-time, or a duration back from now (`30m`, `2h`, `7d`). */
export function parseTimeArg(value: string): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(value)) return Date.now() - parseDuration(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected an ISO date-time (2026-02-08T16:00:00Z) or a duration back from now (2h, 7d)');
  return t;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export interface Output {
  warn(message: string): void;
}

export function makeOutput(quiet: boolean): Output {
  return {
    warn: (message) => {
      if (!quiet) process.stderr.write(`incident-analyser: warning: ${visibleLine(message)}\n`);
    },
  };
}

/** The candidates closest to a misspelt value (edit distance, or one containing the other), best first. */
export function similar(value: string, candidates: Iterable<string>, max = 3): string[] {
  const want = value.toLowerCase();
  const limit = Math.max(2, Math.floor(want.length / 3));
  return [...new Set(candidates)]
    .map((c) => {
      const have = c.toLowerCase();
      const d = distance(want, have);
      // `port` for `port-in-use`: a prefix or part of an id is a fair guess too
      return { c, d: d <= limit ? d : want.length >= 3 && have.includes(want) ? limit : Infinity };
    })
    .filter((x) => x.d !== Infinity)
    .sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : 1))
    .slice(0, max)
    .map((x) => x.c);
}

/** A usage error for an unknown rule id, with the closest known ids. */
export function unknownRule(id: string, known: Iterable<string>, where = ''): UsageError {
  const close = similar(id, known);
  const hint = close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
  return new UsageError(`no rule with id "${id}"${where}${hint} (see: incident-analyser rules list)`);
}
