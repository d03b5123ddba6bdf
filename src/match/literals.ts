// Required literals of a regex: strings of which at least one occurs in every match. They make
// the prefilter: one combined scan over each 1 MiB chunk finds the few lines worth parsing, and
// every other line costs only a line-boundary check (DESIGN.md: chunks + combined prefilter
// 1.8 s vs 3.7 s for a per-line regex loop on 512 MiB).

/** Shortest literal worth filtering on; shorter ones would hit too many lines. */
export const MIN_LITERAL = 4;

/** Literals such that every match of `source` contains one of them, or undefined if none is known. */
export function requiredLiterals(source: string): string[] | undefined {
  const alternatives = splitTopLevel(source);
  const out: string[] = [];
  for (const alt of alternatives) {
    const best = longestRun(alt);
    if (best === undefined || best.length < MIN_LITERAL) return undefined;
    out.push(best);
  }
  return out;
}

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

/** The longest literal run in a sequence (no top-level `|`), considering non-optional groups too. */
function longestRun(seq: string): string | undefined {
  let best: string | undefined;
  let run = '';
  const flush = (): void => {
    if (best === undefined || run.length > best.length) best = run;
    run = '';
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
          run += e;
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
      flush();
      const lookaround = /^\?(?:[=!]|<[=!])/.test(inner);
      if (!groupOptional && !lookaround) {
        const body = inner.replace(/^\?(?::|<[A-Za-z_$][\w$]*>)/, '');
        const alts = splitTopLevel(body);
        if (alts.length === 1) {
          const innerBest = longestRun(body);
          if (innerBest !== undefined && (best === undefined || innerBest.length > best.length)) best = innerBest;
        }
      }
      i = end;
      continue;
    }
    if (c === '.' || c === '^' || c === '$' || c === ')' || c === '|') {
      flush();
      continue;
    }
    if (c === '?' || c === '*' || c === '+') {
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
    run += c;
    if (repeated) flush();
  }
  flush();
  return best;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** JSON log lines escape `"` and `\`: the prefilter must find the literal there too. */
function jsonVariant(literal: string): string | undefined {
  if (!literal.includes('"') && !literal.includes('\\')) return undefined;
  return literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** One global regex that finds any of the literals. Longer literals containing a shorter one are dropped. */
export function buildPrefilter(literals: Iterable<string>, caseInsensitive: boolean): RegExp | undefined {
  const all = new Set<string>();
  for (const lit of literals) {
    const l = caseInsensitive ? lit.toLowerCase() : lit;
    all.add(l);
    const j = jsonVariant(l);
    if (j) all.add(j);
  }
  const sorted = [...all].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const lit of sorted) if (!kept.some((k) => lit.includes(k))) kept.push(lit);
  if (kept.length === 0) return undefined;
  return new RegExp(kept.map(escapeRegex).join('|'), caseInsensitive ? 'gi' : 'g');
}
