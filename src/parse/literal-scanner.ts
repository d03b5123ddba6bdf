// Find any of the rules' literals in a chunk: Wu-Manber multi-pattern search (a Boyer-Moore
// style skip over 3-character blocks), ASCII case folded. Measured on a 64 MiB mixed log with
// the built-in rules' ~50 literals (2 cores, loaded): V8's regex alternation of the literals
// ~500 ms (an alternation loses the single-literal Boyer-Moore fast path), an Aho-Corasick
// table walk ~310 ms (one lookup per character), this skip loop far less because most
// windows are skipped whole.

const BLOCK = 3;
const HASH_BITS = 15;
const HASH_MASK = (1 << HASH_BITS) - 1;

/** ASCII upper case → lower case; every other code unit maps to itself. */
const FOLD = new Uint16Array(65536);
for (let c = 0; c < 65536; c++) FOLD[c] = c >= 65 && c <= 90 ? c + 32 : c;

function hash3(a: number, b: number, c: number): number {
  return ((a * 961 + b * 31 + c) >>> 0) & HASH_MASK;
}

/** Can `lit` (folded) sit somewhere across a timestamp of shape `shape` with a digit of it under one of its characters? */
function overlapsDigit(lit: Uint16Array, shape: string): boolean {
  const len = lit.length;
  for (let at = 1 - len; at < shape.length; at++) {
    // `at`: where the literal starts, relative to the timestamp
    let fits = true;
    let digit = false;
    for (let i = Math.max(0, at); fits && i < Math.min(shape.length, at + len); i++) {
      const c = lit[i - at] ?? 0;
      const s = shape.charCodeAt(i);
      if (s === 48) {
        digit = true;
        fits = c >= 48 && c <= 57;
      } else fits = c === FOLD[s];
    }
    if (fits && digit) return true;
  }
  return false;
}

export class LiteralScanner {
  readonly literals: readonly string[];
  /** Per literal, its class bits (1 unless the constructor was told otherwise). */
  private readonly classes: Uint32Array;
  /** Window length: the shortest literal; every literal's first `m` characters form its window. */
  private readonly m: number;
  private readonly shift: Uint8Array;
  /** For blocks that end a window, by block hash: which literals to verify there (an array, not a Map: looked up per candidate position). */
  private readonly bucket: Array<number[] | undefined> = new Array<number[] | undefined>(1 << HASH_BITS).fill(undefined);
  private readonly folded: Uint16Array[];

  /** `classOf`: class bits per literal (the prefilter tells rule literals from fact literals); 1 when absent. */
  constructor(literals: Iterable<string>, classOf?: ReadonlyMap<string, number>) {
    const lits = [...new Set([...literals].filter((l) => l.length > 0))];
    this.literals = lits;
    this.classes = Uint32Array.from(lits, (l) => classOf?.get(l) ?? 1);
    this.folded = lits.map((l) => {
      const a = new Uint16Array(l.length);
      for (let i = 0; i < l.length; i++) a[i] = FOLD[l.charCodeAt(i)] ?? 0;
      return a;
    });
    const m = lits.length > 0 ? Math.min(...lits.map((l) => l.length)) : 1;
    this.m = m;
    this.shift = new Uint8Array(1 << HASH_BITS);
    if (m < BLOCK) {
      // literals this short can't use block skips: every position is a candidate
      this.shift.fill(0);
    } else {
      this.shift.fill(Math.min(255, m - BLOCK + 1));
      this.folded.forEach((lit, index) => {
        for (let j = BLOCK - 1; j < m; j++) {
          const h = hash3(lit[j - 2] ?? 0, lit[j - 1] ?? 0, lit[j] ?? 0);
          const s = m - 1 - j;
          if (s < (this.shift[h] ?? 0)) this.shift[h] = s;
          if (s === 0) {
            const list = this.bucket[h] ?? [];
            list.push(index);
            this.bucket[h] = list;
          }
        }
      });
    }
  }

  /**
   * Push one position per line of `text` that holds a literal (ascending): each line's first hit.
   * With `kinds`, also push per hit the class bits of the literals on that line (see lineBits).
   * The parser asks line by line (firstHit, lineBits); this is the same search over a whole text.
   */
  scanLines(text: string, hits: number[], kinds?: number[], stopBits = 1): void {
    for (let from = 0; ; ) {
      const start = this.firstHit(text, from);
      if (start < 0) return;
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      hits.push(start);
      kinds?.push(this.lineBits(text, start, nl, this.hitBits, stopBits));
      from = nl + 1;
    }
  }

  /** The class bits of the literals at the position firstHit last returned. */
  hitBits = 0;

  /** Start of the first literal at or after `from`, its class bits in hitBits; -1 when none. */
  firstHit(text: string, from: number): number {
    if (this.literals.length === 0) return -1;
    const m = this.m;
    const n = text.length;
    if (m < BLOCK) {
      for (let start = from; start < n; start++) {
        const bits = this.classesAt(text, start, this.all);
        if (bits === 0) continue;
        this.hitBits = bits;
        return start;
      }
      return -1;
    }
    let pos = from + m - 1;
    while (pos < n) {
      pos = this.nextCandidate(text, pos, n);
      if (pos >= n) return -1;
      const bits = this.classesAt(text, pos - m + 1, this.bucket[this.hashAt(text, pos)]);
      if (bits !== 0) {
        this.hitBits = bits;
        return pos - m + 1;
      }
      pos++;
    }
    return -1;
  }

  /**
   * `bits` (those of the literals at `start`, a hit on the line ending at `nl`) with the bits of
   * the literals later on that line, searched until one of `stopBits` is among them.
   */
  lineBits(text: string, start: number, nl: number, bits: number, stopBits: number): number {
    const m = this.m;
    if (m < BLOCK) {
      for (let p = start + 1; (bits & stopBits) === 0 && p < nl; p++) bits |= this.classesAt(text, p, this.all);
      return bits;
    }
    // windows ending up to `last` start on this line (a literal holds no newline)
    const last = Math.min(text.length - 1, nl - 1 + m - 1);
    let p = start + m;
    while ((bits & stopBits) === 0 && p <= last) {
      p = this.nextCandidate(text, p, last + 1);
      if (p > last) break;
      bits |= this.classesAt(text, p - m + 1, this.bucket[this.hashAt(text, p)]);
      p++;
    }
    return bits;
  }

  private readonly digitShapes = new Map<string, boolean>();

  /**
   * Could one of the literals overlap a digit of a timestamp shaped `shape` (Latin-1, its digits
   * written as 0)? Two lines alike but for the digits of such a timestamp hold the same literals
   * unless it could (parse/repeat-lines.ts: a repeat takes its event's class bits).
   */
  reachesDigits(shape: string): boolean {
    let reaches = this.digitShapes.get(shape);
    if (reaches === undefined) {
      reaches = this.folded.some((lit) => overlapsDigit(lit, shape));
      this.digitShapes.set(shape, reaches);
    }
    return reaches;
  }

  private hashAt(text: string, pos: number): number {
    return hash3(FOLD[text.charCodeAt(pos - 2)] ?? 0, FOLD[text.charCodeAt(pos - 1)] ?? 0, FOLD[text.charCodeAt(pos)] ?? 0);
  }

  /** The first window end at or after `pos` (and before `end`) whose block shift is 0; `end` when none. */
  private nextCandidate(text: string, pos: number, end: number): number {
    const shift = this.shift;
    while (pos < end) {
      const s = shift[this.hashAt(text, pos)] ?? 0;
      if (s === 0) return pos;
      pos += s;
    }
    return end;
  }

  /**
   * Every literal found anywhere in `text` (ASCII case folded): `found[i]` is set to `mark` for
   * each literal index i. The matcher uses it to run only the patterns whose literal is there.
   */
  markFound(text: string, found: Uint32Array, mark: number): boolean {
    const m = this.m;
    const n = text.length;
    let any = false;
    if (m < BLOCK) {
      for (let start = 0; start < n; start++) if (this.markAt(text, start, this.all, found, mark)) any = true;
      return any;
    }
    const shift = this.shift;
    let pos = m - 1;
    while (pos < n) {
      const h = hash3(FOLD[text.charCodeAt(pos - 2)] ?? 0, FOLD[text.charCodeAt(pos - 1)] ?? 0, FOLD[text.charCodeAt(pos)] ?? 0);
      const s = shift[h] ?? 0;
      if (s > 0) {
        pos += s;
        continue;
      }
      if (this.markAt(text, pos - m + 1, this.bucket[h], found, mark)) any = true;
      pos++;
    }
    return any;
  }

  private allIndices: number[] | undefined;
  private get all(): number[] {
    this.allIndices ??= this.folded.map((_, i) => i);
    return this.allIndices;
  }

  private markAt(text: string, start: number, candidates: number[] | undefined, found: Uint32Array, mark: number): boolean {
    if (!candidates) return false;
    let any = false;
    for (const index of candidates) {
      const lit = this.folded[index];
      if (lit && this.verify(text, start, lit)) {
        found[index] = mark;
        any = true;
      }
    }
    return any;
  }

  /** The class bits of the candidates found at `start`; 0 when none is. */
  private classesAt(text: string, start: number, candidates: number[] | undefined): number {
    if (!candidates) return 0;
    let bits = 0;
    for (const index of candidates) {
      const lit = this.folded[index];
      if (lit && this.verify(text, start, lit)) bits |= this.classes[index] ?? 0;
    }
    return bits;
  }

  private verify(text: string, start: number, lit: Uint16Array): boolean {
    if (start + lit.length > text.length) return false;
    for (let i = 0; i < lit.length; i++) {
      if (FOLD[text.charCodeAt(start + i)] !== lit[i]) return false;
    }
    return true;
  }

  test(text: string): boolean {
    return this.firstHit(text, 0) >= 0;
  }
}
