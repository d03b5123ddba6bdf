// Convert a JavaScript regular expression (a rule's `match[].regex`) into a POSIX ERE for
// `grep -E -f`, where that can be done. Used only by the benchmark to build grep's pattern file.
//
// - `(?<name>` and `(?:` become plain `(`; lazy quantifiers lose their `?` (same lines match).
// - `\d \s \w` (and the negated forms) become bracket expressions; `\b`/`\B` stay (GNU grep).
// - Lookarounds are dropped (the pattern then matches a superset of lines): noted.
// - grep works on single lines. A multi-line part (`[\s\S]`, `[^]`, `\n`) cuts its alternative
//   there, keeping the first-line prefix; inside a group, the cut is at the start of the
//   outermost enclosing group: noted.
// - The `i` flag is spelled out as `[aA]` brackets.
// - Backreferences, `\k<name>`, `\p{...}` and `\c` are not expressible: the pattern is
//   skipped, with the reason.

const ERE_SPECIAL = new Set(['.', '[', ']', '(', ')', '*', '+', '?', '{', '}', '|', '^', '$', '\\']);

class Skip extends Error {}

/** @returns {{ ere?: string, skipped?: string, notes: string[] }} */
export function jsToEre(source, flags = '') {
  const notes = [];
  try {
    const ci = flags.includes('i');
    const alts = splitTopLevel(source).map((alt) => convertAlternative(alt, ci, notes));
    if (alts.some((a) => a === '')) throw new Skip('an alternative is empty after conversion (it would match every line)');
    return { ere: alts.join('|'), notes: [...new Set(notes)] };
  } catch (err) {
    if (err instanceof Skip) return { skipped: err.message, notes };
    throw err;
  }
}

function splitTopLevel(src) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(src, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(src.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(src.slice(start));
  return parts;
}

/** Index of the `]` closing the class opened at `open` (JS syntax: `[]` and `[^]` are complete). */
function classEnd(src, open) {
  let i = open + 1;
  if (src[i] === '^') i++;
  for (; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === ']') return i;
  }
  throw new Skip('unterminated character class');
}

function groupEnd(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(src, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Skip('unbalanced parentheses');
}

const isLetter = (c) => /^[A-Za-z]$/.test(c);

function literal(c, ci) {
  if (ci && isLetter(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  if (c === '\n') throw new Skip('literal newline');
  return ERE_SPECIAL.has(c) ? `\\${c}` : c;
}

/** Length of a JS quantifier `{n}`, `{n,}`, `{n,m}` at i, or 0 when `{` is a literal there. */
function braceQuantifierLength(src, i) {
  const m = /^\{\d+(,\d*)?\}/.exec(src.slice(i));
  return m ? m[0].length : 0;
}

/** Index of the last character of a quantifier (and its lazy `?`) after `j`, or `j`. */
function skipQuantifier(src, j) {
  const q = src[j + 1];
  if (q === '*' || q === '+' || q === '?') j++;
  else if (q === '{') {
    const n = braceQuantifierLength(src, j + 1);
    if (n === 0) return j;
    j += n;
  } else return j;
  if (src[j + 1] === '?') j++;
  return j;
}

/**
 * Longest run of literal characters in an ERE (bracket expressions and optional characters
 * break runs): a rough measure of how selective a one-line part is.
 */
export function literalScore(ere) {
  let best = 0;
  let run = 0;
  for (let i = 0; i < ere.length; i++) {
    let c = ere[i];
    let lit = false;
    if (c === '\\') {
      c = ere[++i] ?? '';
      lit = !/[A-Za-z0-9]/.test(c);
    } else if (c === '[') {
      // skip the bracket expression: `[^]...]`, `[]...]`, `[:name:]` inside
      let j = i + 1;
      if (ere[j] === '^') j++;
      if (ere[j] === ']') j++;
      while (j < ere.length && ere[j] !== ']') j = ere.startsWith('[:', j) ? ere.indexOf(':]', j) + 2 : j + 1;
      i = j;
    } else lit = !'.()*+?{}|^$'.includes(c);
    const next = ere[i + 1];
    if (lit && next !== '?' && next !== '*' && !(next === '{' && ere[i + 2] === '0')) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/**
 * grep sees one line at a time. A multi-line part (`\n`, `[\s\S]`, `[^]`, or a group holding
 * one) splits the alternative into one-line parts, each of which must occur on some line of a
 * match; the most selective part is kept.
 */
function convertAlternative(src, ci, notes) {
  const parts = [];
  let out = '';
  let depth = 0;
  let outerGroupAt = 0; // length of `out` before the outermost open group
  let outerGroupSrc = -1; // its `(` in src
  const split = (markerEnd) => {
    let resume = markerEnd;
    if (depth > 0) {
      parts.push(out.slice(0, outerGroupAt));
      resume = groupEnd(src, outerGroupSrc);
      depth = 0;
    } else {
      parts.push(out);
    }
    out = '';
    return skipQuantifier(src, resume);
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw new Skip('trailing backslash');
      i++;
      if (e === 'n') {
        i = split(i);
        continue;
      }
      out += escapeToEre(src, i, ci);
      if (e === 'x') i += 2;
      else if (e === 'u') i += src[i + 1] === '{' ? src.indexOf('}', i) - i : 4;
      continue;
    }
    if (c === '[') {
      const end = classEnd(src, i);
      const body = src.slice(i + 1, end);
      const cls = convertClass(body, ci);
      if (cls === null) {
        i = split(end);
        continue;
      }
      out += cls;
      i = end;
      continue;
    }
    if (c === '(') {
      if (src[i + 1] === '?') {
        const k = src[i + 2];
        if (k === ':') {
          if (depth === 0) [outerGroupAt, outerGroupSrc] = [out.length, i];
          out += '(';
          depth++;
          i += 2;
          continue;
        }
        if (k === '=' || k === '!' || (k === '<' && (src[i + 3] === '=' || src[i + 3] === '!'))) {
          notes.push('lookaround dropped (grep matches a superset)');
          i = groupEnd(src, i);
          // a quantifier on a lookaround means nothing here either
          if ('*+?'.includes(src[i + 1] ?? '')) i++;
          continue;
        }
        if (k === '<') {
          const close = src.indexOf('>', i);
          if (close < 0) throw new Skip('bad named group');
          if (depth === 0) [outerGroupAt, outerGroupSrc] = [out.length, i];
          out += '(';
          depth++;
          i = close;
          continue;
        }
        throw new Skip(`unsupported group (?${k}`);
      }
      if (depth === 0) [outerGroupAt, outerGroupSrc] = [out.length, i];
      out += '(';
      depth++;
      continue;
    }
    if (c === ')') {
      out += ')';
      depth--;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      out += c;
      if (src[i + 1] === '?') i++; // lazy
      continue;
    }
    if (c === '{') {
      const n = braceQuantifierLength(src, i);
      if (n > 0) {
        out += src.slice(i, i + n);
        i += n - 1;
        if (src[i + 1] === '?') i++; // lazy
      } else {
        out += '\\{';
      }
      continue;
    }
    if (c === '}') {
      out += '\\}';
      continue;
    }
    if (c === '.' || c === '^' || c === '$' || c === '|') {
      out += c;
      continue;
    }
    if (c === ']') {
      out += '\\]';
      continue;
    }
    out += literal(c, ci);
  }
  if (parts.length === 0) return out;
  parts.push(out);
  let best = '';
  for (const part of parts) if (literalScore(part) > literalScore(best)) best = part;
  if (literalScore(best) < 4) throw new Skip('a multi-line pattern without a selective one-line part');
  notes.push('multi-line: kept the most selective one-line part (grep sees one line)');
  return best;
}

function escapeToEre(src, i, ci) {
  const e = src[i];
  switch (e) {
    case 'd':
      return '[0-9]';
    case 'D':
      return '[^0-9]';
    case 's':
      return '[[:space:]]';
    case 'S':
      return '[^[:space:]]';
    case 'w':
      return '[[:alnum:]_]';
    case 'W':
      return '[^[:alnum:]_]';
    case 'b':
      return '\\b';
    case 'B':
      return '\\B';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'f':
      return '\f';
    case 'v':
      return '\v';
    case '0':
      return '\0';
    case 'x': {
      const h = src.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Skip('bad \\x escape');
      return literal(String.fromCharCode(parseInt(h, 16)), ci);
    }
    case 'u': {
      const m = /^\{([0-9a-fA-F]+)\}|^([0-9a-fA-F]{4})/.exec(src.slice(i + 1));
      if (!m) throw new Skip('bad \\u escape');
      return literal(String.fromCodePoint(parseInt(m[1] ?? m[2], 16)), ci);
    }
    case 'k':
      throw new Skip('named backreference \\k<...>');
    case 'p':
    case 'P':
      throw new Skip('unicode property escape \\p{...}');
    case 'c':
      throw new Skip('control escape \\c');
    default:
      if (/[1-9]/.test(e)) throw new Skip('backreference');
      return literal(e, ci);
  }
}

/**
 * A JS class body to a POSIX bracket expression, or null for "any character including newline"
 * (`[\s\S]`, `[^]`, ...), which only makes sense across lines.
 */
function convertClass(body, ci) {
  let neg = false;
  let i = 0;
  if (body[0] === '^') {
    neg = true;
    i = 1;
  }
  if (neg && i === body.length) return null; // [^]
  const chars = new Set();
  const ranges = [];
  const named = new Set();
  const escClasses = new Set();
  let droppedNewline = false;
  const readChar = () => {
    const c = body[i];
    if (c !== '\\') {
      i++;
      return c;
    }
    const e = body[i + 1];
    i += 2;
    switch (e) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case '0':
        return '\0';
      case 'b':
        throw new Skip('backspace \\b in a class');
      case 'x': {
        const h = body.slice(i, i + 2);
        i += 2;
        return String.fromCharCode(parseInt(h, 16));
      }
      case 'u': {
        const m = /^\{([0-9a-fA-F]+)\}|^([0-9a-fA-F]{4})/.exec(body.slice(i));
        if (!m) throw new Skip('bad \\u escape');
        i += m[0].length;
        return String.fromCodePoint(parseInt(m[1] ?? m[2], 16));
      }
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
        return { cls: e };
      case 'p':
      case 'P':
        throw new Skip('unicode property escape in a class');
      default:
        return e;
    }
  };
  while (i < body.length) {
    const a = readChar();
    if (typeof a === 'object') {
      escClasses.add(a.cls);
      continue;
    }
    if (body[i] === '-' && i + 1 < body.length) {
      i++;
      const b = readChar();
      if (typeof b === 'object') {
        // `a-\d`: the dash is literal
        chars.add(a);
        chars.add('-');
        escClasses.add(b.cls);
        continue;
      }
      if (b < a) throw new Skip('bad range');
      if (a <= '\n' && b >= '\n') {
        throw new Skip('a range containing newline');
      }
      ranges.push([a, b]);
      continue;
    }
    if (a === '\n') {
      droppedNewline = true;
      continue;
    }
    chars.add(a);
  }
  // any-character classes
  for (const [x, y] of [
    ['s', 'S'],
    ['d', 'D'],
    ['w', 'W'],
  ]) {
    if (escClasses.has(x) && escClasses.has(y)) {
      if (neg) throw new Skip('a class that never matches');
      return null;
    }
  }
  for (const k of escClasses) {
    if (k === 'd') ranges.push(['0', '9']);
    else if (k === 's') named.add('space');
    else if (k === 'w') {
      named.add('alnum');
      chars.add('_');
    } else {
      // a negated shorthand inside a class: only expressible when it is the whole class
      if (escClasses.size === 1 && chars.size === 0 && ranges.length === 0 && !neg) {
        return k === 'D' ? '[^0-9]' : k === 'S' ? '[^[:space:]]' : '[^[:alnum:]_]';
      }
      throw new Skip(`\\${k} combined with other items in a class`);
    }
  }
  if (ci) {
    for (const c of [...chars]) if (isLetter(c)) chars.add(c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
    for (const [a, b] of [...ranges]) {
      if (a >= 'a' && b <= 'z') ranges.push([a.toUpperCase(), b.toUpperCase()]);
      else if (a >= 'A' && b <= 'Z') ranges.push([a.toLowerCase(), b.toLowerCase()]);
    }
  }
  if (chars.size === 0 && ranges.length === 0 && named.size === 0) {
    if (!neg && droppedNewline) throw new Skip('a class that only matches a newline');
    if (!neg) throw new Skip('an empty class');
    return '.'; // [^\n] on one line
  }
  // POSIX bracket: `]` first, `^` not first, `-` last, `[` not before `:` `.` `=`.
  let s = '[' + (neg ? '^' : '');
  if (chars.has(']')) s += ']';
  for (const c of chars) if (c !== ']' && c !== '-' && c !== '^' && c !== '[') s += c;
  for (const [a, b] of ranges) s += `${a}-${b}`;
  for (const n of named) s += `[:${n}:]`;
  if (chars.has('[')) s += '[';
  if (chars.has('^')) s += '^';
  if (chars.has('-')) s += '-';
  s += ']';
  if (s === '[^]') return '\\^';
  return s;
}
