// Small pieces shared by the commands: version, option parsers, warnings.
import fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { SEVERITIES, type Severity } from '../model.js';
import { parseDuration } from '../rules/duration.js';
import { visibleLine } from '../text/terminal.js';

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
