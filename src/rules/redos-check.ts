// `rules lint`: would a pattern backtrack catastrophically on a backtracking engine? recheck
// (automata theory plus fuzzing) answers with the complexity and an attack string. In this tool
// a user pattern runs on RE2 and cannot hang (regex-engine.ts), but a nested quantifier like
// `(a+)+` is still a mistake: redundant, slow to extract captures from, and a hang in grep -P,
// JavaScript or Python, where rules get copied. Loaded only by lint (recheck is large).
import { createRequire } from 'node:module';

export interface RedosFinding {
  /** `exponential` or `polynomial (degree 2)`. */
  complexity: string;
  /** A short attack string, as recheck writes it (`'a' + 'a'.repeat(31) + '!'`). */
  attack: string;
  /** The part of the pattern that backtracks, when recheck names it. */
  hotspot: string | undefined;
}

interface Diagnostics {
  status: 'safe' | 'vulnerable' | 'unknown';
  complexity?: { type: string; degree?: number } | undefined;
  attack?: { pattern: string } | undefined;
  hotspot?: Array<{ start: number; end: number; temperature: string }> | undefined;
  error?: { kind: string } | undefined;
}

type CheckSync = (source: string, flags: string, params: { timeout: number }) => Diagnostics;

const require = createRequire(import.meta.url);
let checkSync: CheckSync | undefined;

/** A finding when the pattern is super-linear; undefined when safe; `unknown` when undecided within `timeoutMs`. */
export function checkRedos(source: string, flags: string, timeoutMs = 3000): RedosFinding | undefined | 'unknown' {
  checkSync ??= (require('recheck') as { checkSync: CheckSync }).checkSync;
  // recheck knows JavaScript flags; `l` and `d` are irrelevant here
  const d = checkSync(source, flags.replace(/[^gimsuy]/g, ''), { timeout: timeoutMs });
  if (d.status === 'safe') return undefined;
  if (d.status === 'unknown') return 'unknown';
  const c = d.complexity;
  const complexity = c?.type === 'polynomial' ? `polynomial (degree ${c.degree ?? '?'})` : (c?.type ?? 'super-linear');
  // the hot spot comes in pieces (one per atom): show the stretch from the first to the last
  const heat = (d.hotspot ?? []).filter((h) => h.temperature === 'heat');
  const hotspot = heat.length > 0 ? source.slice(Math.min(...heat.map((h) => h.start)), Math.max(...heat.map((h) => h.end))) : undefined;
  return { complexity, attack: d.attack?.pattern ?? '', hotspot };
}
