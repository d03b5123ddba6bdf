// Required literals of a regex: strings of which at least one occurs in every match. They make
// the prefilter: one scan over each 1 MiB chunk (literal-scanner.ts) finds the few lines worth
// parsing, and every other line costs only a line-boundary check (DESIGN.md: chunks + combined
// prefilter 1.8 s vs 3.7 s for a per-line regex loop on 512 MiB).

/** Shortest literal worth filtering on; shorter ones would hit too many lines. */
export const MIN_LITERAL = 4;

/** Literals such that every match of `source` contains one of them, or undefined if none is known. */
export function requiredLiterals(source: string): string[] | undefined {
  const out: string[] = [];
  for (const alt of splitTopLevel(source)) {
    const best = bestLiteralSet(alt);
    if (best === undefined || score(best) < MIN_LITERAL) return undefined;
    out.push(...best);
  }
  return [...new Set(out)];
}

/** A set is as good as its shortest member: every one must be searched for. */
function score(set: string[]): number {
  return set.length === 0 ? 0 : Math.min(...set.map((s) => s.length));
}

/** Past this many variants a group's alternatives stop multiplying the run. */
const MAX_VARIANTS = 16;

/** Split on `|` outside groups and classes. */
function splitTopLevel(src: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      i = classEnd(src, i);
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === '|' && depth === 0) {
      parts.push(src.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(src.slice(start));
  return parts;
}

function classEnd(src: string, open: number): number {
  let i = open + 1;
  if (src[i] === '^') i++;
  if (src[i] === ']') i++;
  for (; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === ']') return i;
  }
  return src.length;
}

function groupEnd(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(src, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return src.length;
}

const LITERAL_ESCAPES = new Set(['.', '(', ')', '[', ']', '{', '}', '*', '+', '?', '|', '\\', '/', '-', '^', '$', '"', "'", ':', ' ', '<', '>', '=', '!', ',', '#', '@', '%', '&', '~', '`', ';', '_']);

/** The text of a regex fragment that is a plain literal (escapes allowed), else undefined. */
function pureLiteral(fragment: string): string | undefined {
  let out = '';
  for (let i = 0; i < fragment.length; i++) {
    const c = fragment[i] ?? '';
    if (c === '\\') {
      const e = fragment[i + 1] ?? '';
      if (!LITERAL_ESCAPES.has(e)) return undefined;
      out += e;
      i++;
    } else if ('.[](){}*+?^$|'.includes(c)) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * The best set of literals of a sequence (no top-level `|`): runs of literal characters, where
 * a group of plain alternatives multiplies the run (`(?:accept|spawn) EMFILE` gives
 * `accept EMFILE`, `spawn EMFILE`) and anything else ends it.
 */
function bestLiteralSet(seq: string): string[] | undefined {
  let best: string[] | undefined;
  let run: string[] = [''];
  const flush = (): void => {
    if (best === undefined || score(run) > score(best)) best = run;
    run = [''];
  };
  const append = (text: string): void => {
    run = run.map((r) => r + text);
  };
  for (let i = 0; i < seq.length; i++) {
    const c = seq[i] ?? '';
    const next = seq[i + 1];
    const optional = next === '?' || next === '*' || (next === '{' && /^\{0[,}]/.test(seq.slice(i + 1)));
    const repeated = next === '+' || next === '{';
    if (c === '\\') {
      const e = seq[i + 1] ?? '';
      const after = seq[i + 2];
      i++;
      if (LITERAL_ESCAPES.has(e)) {
        if (after === '?' || after === '*') {
          flush();
        } else {
          append(e);
          if (after === '+' || after === '{') flush();
        }
      } else {
        flush();
      }
      continue;
    }
    if (c === '[') {
      i = classEnd(seq, i);
      flush();
      continue;
    }
    if (c === '(') {
      const end = groupEnd(seq, i);
      const inner = seq.slice(i + 1, end);
      const quant = seq[end + 1];
      const groupOptional = quant === '?' || quant === '*' || (quant === '{' && /^\{0[,}]/.test(seq.slice(end + 1)));
      const groupRepeated = quant === '+' || quant === '{';
      const lookaround = /^\?(?:[=!]|<[=!])/.test(inner);
      i = end;
      if (lookaround) continue; // zero-width: the run goes on across it
      const body = inner.replace(/^\?(?::|<[A-Za-z_$][\w$]*>)/, '');
      const alts = splitTopLevel(body);
      const plain = alts.map(pureLiteral);
      if (!groupOptional && plain.every((p): p is string => p !== undefined) && run.length * plain.length <= MAX_VARIANTS) {
        run = run.flatMap((r) => plain.map((p) => r + p));
        if (groupRepeated) flush();
        continue;
      }
      flush();
      if (!groupOptional && alts.length === 1) {
        const inside = bestLiteralSet(body);
        if (inside !== undefined && (best === undefined || score(inside) > score(best))) best = inside;
      }
      continue;
    }
    if (c === '.' || c === '^' || c === '$' || c === ')' || c === '|' || c === '?' || c === '*' || c === '+') {
      flush();
      continue;
    }
    if (c === '{') {
      const close = seq.indexOf('}', i);
      if (close > i && /^\{\d+(,\d*)?\}$/.test(seq.slice(i, close + 1))) {
        i = close;
        flush();
        continue;
      }
    }
    if (optional) {
      flush();
      continue;
    }
    append(c);
    if (repeated) flush();
  }
  flush();
  return best;
}

/** JSON log lines escape `"` and `\`: the prefilter must find the literal there too. */
function jsonVariant(literal: string): string | undefined {
  if (!literal.includes('"') && !literal.includes('\\')) return undefined;
  return literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * The literals the prefilter scans for: each one, its JSON-escaped form, and none that
 * contains a shorter one already in the set (ASCII case is ignored by the scanner).
 */
export function prefilterLiterals(literals: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const lit of literals) {
    const l = lit.toLowerCase();
    all.add(l);
    const j = jsonVariant(l);
    if (j) all.add(j);
  }
  const sorted = [...all].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const kept: string[] = [];
  for (const lit of sorted) if (!kept.some((k) => lit.includes(k))) kept.push(lit);
  return kept;
}
