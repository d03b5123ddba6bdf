// The crash-loop fast path. A log where every line matches is mostly a few messages repeated with
// only the timestamp changing (`2026-11-20T00:00:05: Error: listen EADDRINUSE …`). Building each
// such line (UTF-8 decode, prefix scan, splits) was most of a run. Here a one-line event whose
// bytes after its ISO timestamp equal those of a recent event's, with a timestamp of the same
// shape and the same bytes before it, is a repeat: it is that event again with its own line
// number, time and raw text, and its `repeatOf` names the event the later stages derived
// everything else from (match/repeat-memo.ts). The parser asks for every line as it reads it
// (find), before it knows whether the event goes on (a stack): only an event that ends one line
// long is taken as the repeat (eventOf).
//
// Exactness: everything buildEvent reads from a line, apart from the time, comes from the bytes
// outside the timestamp, and prefix scanning treats every digit alike, so a timestamp of the same
// shape (its non-digits equal) gives the same event. An event is remembered only after the slow
// path built it and it was checked to be exactly the parts below.
//
// The prefilter still finds every line's first literal, so which lines are built does not change.
// The class bits of the rest of a line (is a rule literal there too?) are its event's: the lines
// differ only in timestamp digits, which no literal can overlap where `hotKnown` is set.
import type { LogEvent } from '../model.js';
import type { LiteralScanner } from './literal-scanner.js';
import { fromLatin1 } from '../text/latin1.js';
import { repeatEvent } from './build-event.js';
import { parseTimestamp, dateTimeEnd } from './timestamp.js';

/** Events remembered per file; a log with more distinct hot lines than this mostly misses anyway. */
const MAX_TEMPLATES = 256;
/** Templates kept under one key (same length and tail bytes): the oldest goes first. */
const PER_KEY = 4;
/** Longest line considered: hashing a long key costs more than it saves, and crash lines are short. */
export const REPEAT_MAX_CHARS = 512;

export interface Template {
  event: LogEvent;
  /** Latin-1 bytes after the timestamp. */
  after: string;
  /** Latin-1 bytes before the timestamp (usually none). */
  before: string;
  /** The same, decoded: the start of every repeat's raw text. */
  beforeText: string;
  /** Decoded text after the timestamp: the rest of every repeat's raw text. */
  afterText: string;
  tsShape: string;
  /** The prefilter's class bits of the line (see StreamParserOptions.onEvent). */
  hot: number;
  /** No prefilter literal can overlap this timestamp's digits: every repeat's line has the bits `hot`. */
  hotKnown: boolean;
  /** The line's length, and where its timestamp and message text start and how long the timestamp is: a repeat's are the same. */
  lineLen: number;
  tsOffset: number;
  tsLen: number;
  contentOffset: number;
  /**
   * The raw text made for the last timestamp, shared by its repeats in the same second: the
   * first reader flattens the concatenation once (fact-book's regex on raw flattened one per line).
   */
  rawTs: string;
  raw: string;
  /** The last line taken for this event (Latin-1, owned) and its time: the next is often the same bytes. */
  lastLine: string;
  lastTime: number;
}

/**
 * A line's length (9 bits: at most REPEAT_MAX_CHARS) and 7 bits of three bytes of its tail (the
 * last two and one a quarter of the length before the end, past the timestamp on all but the
 * shortest lines): a small integer, the same for every repeat.
 */
function keyOf(chunk: string, start: number, end: number): number {
  const len = end - start;
  const a = chunk.charCodeAt(end - 1) & 127;
  const b = chunk.charCodeAt(end - 2) & 127;
  const c = chunk.charCodeAt(end - 1 - (len >> 2)) & 127;
  return ((len & 511) << 21) | (a << 14) | (b << 7) | c;
}

/** Owned copy of Latin-1 text: a slice would keep its whole read chunk alive. */
function ownLatin1(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

export class RepeatLines {
  /** By a number made of the text's length and three of its bytes; a full compare confirms. */
  private readonly templates = new Map<number, Template[]>();
  private count = 0;
  /** The timestamp text and time of the line find() last returned a template for. */
  foundTs = '';
  foundTime = 0;
  // The last timestamp read: a crash loop writes hundreds of lines a second, so the same text
  // comes again and again. Owned copies, parsed once.
  private tsText = '';
  private tsTime = 0;
  private tsValid = false;
  private tsShape = '';

  /** `scanner`: the prefilter's, to know whether a repeat's class bits are its event's (hotKnown). */
  constructor(private readonly scanner?: LiteralScanner) {}

  /** A new file: its events have another file name (and maybe service). */
  reset(): void {
    this.templates.clear();
    this.count = 0;
  }

  /**
   * The remembered event the line `chunk[lineStart, end)` repeats, or undefined. Its time and
   * timestamp text are then in foundTime and foundTs; the template says where the line's
   * timestamp and text are, as the prefix scan would (the parser skips that scan then).
   */
  find(chunk: string, lineStart: number, end: number): Template | undefined {
    const lineLen = end - lineStart;
    if (this.count === 0 || lineLen > REPEAT_MAX_CHARS) return undefined;
    // a number key, then compares: a string map hashed the whole text of every line
    const candidates = this.templates.get(keyOf(chunk, lineStart, end));
    if (candidates === undefined) return undefined;
    // the same bytes as the last line taken for one of them (same second): one compare
    const line = chunk.slice(lineStart, end);
    for (const c of candidates) {
      if (c.lastLine === line) {
        this.foundTs = c.rawTs;
        this.foundTime = c.lastTime;
        return c;
      }
    }
    for (const c of candidates) {
      if (c.lineLen !== lineLen) continue;
      const tsStart = lineStart + c.tsOffset;
      const tsEnd = tsStart + c.tsLen;
      // slice and ===, not startsWith(x, at): measured 4x faster on 60-byte texts (Node 20)
      if (chunk.slice(tsEnd, end) !== c.after) continue;
      if (c.before !== '' && !chunk.startsWith(c.before, lineStart)) continue;
      // the same bytes around a timestamp of the same shape: the prefix scan finds the same spans
      if (!this.readTimestamp(chunk, tsStart, tsEnd) || this.tsShape !== c.tsShape) continue;
      c.lastLine = ownLatin1(line);
      c.lastTime = this.tsTime;
      if (c.rawTs !== this.tsText) {
        c.rawTs = this.tsText;
        c.raw = c.beforeText + this.tsText + c.afterText;
      }
      this.foundTs = this.tsText;
      this.foundTime = this.tsTime;
      return c;
    }
    return undefined;
  }

  /** The repeat of `t` at `line`, with the timestamp find() read for it. */
  eventOf(t: Template, line: number, tsText: string, time: number): LogEvent {
    // the raw text of find()'s timestamp, unless a later find() moved the template on
    const raw = t.rawTs === tsText ? t.raw : t.beforeText + tsText + t.afterText;
    return repeatEvent(t.event, line, time, raw);
  }

  /**
   * Remember a one-line event the slow path built from `chunk[lineStart, end)`, if it is exactly
   * what eventOf would make of that line. `hot`: the line's prefilter class bits.
   */
  remember(chunk: string, lineStart: number, tsStart: number, tsEnd: number, contentAt: number, end: number, event: LogEvent, hot: number): void {
    if (end - lineStart > REPEAT_MAX_CHARS || event.lineCount !== 1 || event.repeatOf !== undefined) return;
    if (!this.readTimestamp(chunk, tsStart, tsEnd) || event.time !== this.tsTime) return;
    // one copy of the line, its parts slices of it: this runs for every one-line event built
    const line = ownLatin1(chunk.slice(lineStart, end));
    const before = line.slice(0, tsStart - lineStart);
    const after = line.slice(tsEnd - lineStart);
    let beforeText = before;
    let afterText = after;
    // an ASCII line is its own text (raw is the line decoded); else decode the parts
    if (event.raw !== line) {
      beforeText = fromLatin1(before);
      afterText = fromLatin1(after);
      if (event.raw !== beforeText + this.tsText + afterText) return;
    }
    if (this.count >= MAX_TEMPLATES) this.reset();
    const key = keyOf(chunk, lineStart, end);
    const template: Template = {
      event,
      after,
      before,
      beforeText,
      afterText,
      tsShape: this.tsShape,
      hot,
      hotKnown: this.scanner !== undefined && !this.scanner.reachesDigits(this.tsShape),
      lineLen: end - lineStart,
      tsOffset: tsStart - lineStart,
      tsLen: tsEnd - tsStart,
      contentOffset: contentAt - lineStart,
      rawTs: this.tsText,
      raw: event.raw,
      lastLine: line,
      lastTime: this.tsTime,
    };
    const list = this.templates.get(key);
    if (list === undefined) this.templates.set(key, [template]);
    else {
      // a few per key, the newest last: lines of one shape whose texts differ (request ids) must
      // not make every lookup walk a long list
      if (list.length >= PER_KEY) list.shift();
      list.push(template);
    }
    this.count++;
  }

  /** Reads the timestamp at `[tsStart, tsEnd)` into tsText/tsTime/tsShape; false if it is not ISO or no date. */
  private readTimestamp(chunk: string, tsStart: number, tsEnd: number): boolean {
    const len = tsEnd - tsStart;
    if (len === this.tsText.length && chunk.startsWith(this.tsText, tsStart)) return this.tsValid;
    // only ISO date-times: other forms (syslog's, without a year) may depend on more than their text
    if (dateTimeEnd(chunk, tsStart) !== tsEnd) return false;
    this.tsText = ownLatin1(chunk.slice(tsStart, tsEnd));
    const time = parseTimestamp(this.tsText);
    this.tsValid = time !== undefined;
    this.tsTime = time ?? 0;
    this.tsShape = this.tsText.replace(/\d/g, '0');
    return this.tsValid;
  }
}
