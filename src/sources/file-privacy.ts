// Reports quote log lines, so a report must be no easier to read than the logs it quotes: a
// report quoting a root-only (0600) file is 0600. "Easier to read" counts the folders on the way
// too: a 0644 log under a 0700 home is private, and so is its report.
import fs from 'node:fs';
import path from 'node:path';

/** The mode for a file that quotes these inputs: owner rw, group/other bits only where every input grants them. */
export type QuotingMode = (quotedFiles: readonly string[]) => number;

const PRIVATE = 0o600;

/** Stats each input once per returned function; an input that cannot be looked at counts as private. */
export function quotingMode(cwd = process.cwd()): QuotingMode {
  const cache = new Map<string, number>();
  const of = (file: string): number => {
    const abs = path.resolve(cwd, file);
    let mode = cache.get(abs);
    if (mode === undefined) {
      mode = readableBy(abs);
      cache.set(abs, mode);
    }
    return mode;
  };
  return (files) => files.reduce((mode, f) => mode & of(f), 0o666) | PRIVATE;
}

/** The file's group/other read-write bits, minus those a folder on its way takes away. */
function readableBy(abs: string): number {
  let real: string;
  let mode: number;
  try {
    real = fs.realpathSync(abs);
    mode = fs.statSync(real).mode & 0o066;
  } catch {
    return PRIVATE;
  }
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    try {
      const d = fs.statSync(dir).mode;
      if ((d & 0o001) === 0) mode &= ~0o007;
      if ((d & 0o010) === 0) mode &= ~0o070;
    } catch {
      return PRIVATE;
    }
    if (dir === path.dirname(dir)) break;
  }
  return mode;
}
