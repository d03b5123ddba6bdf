// One pipeline, sources → parse → match → correlate → sinks: no module imports from a later
// stage. sinks/ and store/ see only the shared shapes (model.ts, rules/, text/); rules/ and
// text/ (and errors.ts) are shared by every stage; pipeline/ and cli/ are the drivers that wire stages together.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const STAGES = ['sources', 'parse', 'match', 'correlate', 'sinks'];
const SHARED = ['model.ts', 'rules', 'text', 'errors.ts'];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The top-level part of src a module lives in: `correlate`, `model.ts`, … */
function area(abs: string): string {
  return path.relative(SRC, abs).split(path.sep)[0] ?? '';
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
    const spec = m[1];
    if (spec) out.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Why `from` may not import `to`, or undefined when it may. */
function violation(from: string, to: string): string | undefined {
  const a = area(from);
  const b = area(to);
  if (a === b || SHARED.includes(b) && a !== 'model.ts' && a !== 'text') {
    if (a === 'rules' && b !== 'rules' && b !== 'model.ts' && b !== 'text' && b !== 'errors.ts') return 'rules/ reads only model.ts, text/ and errors.ts';
    return undefined;
  }
  if (a === 'model.ts' || a === 'text') return `${a} imports nothing from src`;
  if (a === 'cli') return undefined;
  if (a === 'pipeline') return b === 'cli' ? 'a driver never imports the command line' : undefined;
  if (a === 'sinks' || a === 'store') return `${a}/ imports only model.ts, rules/ and text/`;
  const ia = STAGES.indexOf(a);
  const ib = STAGES.indexOf(b);
  if (ia < 0) return `${a} is not a known part of src`;
  if (ib < 0) return `${b} is not a pipeline stage ${a}/ may use`;
  return ib > ia ? `${b}/ is a later stage than ${a}/` : undefined;
}

describe('import direction', () => {
  it('no module imports from a later pipeline stage; sinks and store see only the shared shapes', () => {
    const bad: string[] = [];
    for (const file of files(SRC)) {
      for (const target of imports(file)) {
        const why = violation(file, target);
        if (why) bad.push(`${path.relative(SRC, file)} → ${path.relative(SRC, target)}: ${why}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('catches a violation (the check itself works)', () => {
    expect(violation(path.join(SRC, 'parse/x.ts'), path.join(SRC, 'match/matcher.ts'))).toMatch(/later stage/);
    expect(violation(path.join(SRC, 'sinks/x.ts'), path.join(SRC, 'correlate/engine.ts'))).toMatch(/only model/);
    expect(violation(path.join(SRC, 'store/x.ts'), path.join(SRC, 'model.ts'))).toBeUndefined();
    expect(violation(path.join(SRC, 'correlate/x.ts'), path.join(SRC, 'parse/prefilter.ts'))).toBeUndefined();
  });
});
