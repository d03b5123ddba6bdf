// The hot loop: text chunks of one log stream in, LogEvents out. Every line costs a newline
// search, a prefix scan by character codes and a continuation check; only events that contain
// a prefilter hit are built into strings (see build-event.ts). Timestamps are parsed lazily:
// we remember where the last timestamp was and parse it only when an event needs it.
import type { LogEvent } from '../model.js';
import { RULE_HIT, RULE_MAYBE, type Prefilter } from './prefilter.js';
import { MAX_LINE_BYTES, fromLatin1 } from '../text/latin1.js';
import { buildEvent } from './build-event.js';
import { ContinuationTracker, MAX_EVENT_LINES } from './multiline.js';
import { newPrefixScan, scanPrefixes } from './prefix.js';
import { detectProcessListing, psHeader, psRowEvent, type PsLayout } from './ps-snapshot.js';
import { parseTimestamp } from './timestamp.js';
import { parseJsonLine } from './build-event.js';
import { RepeatLines, type Template } from './repeat-lines.js';
import type { HostScopes } from './host-scope.js';

export interface ParsedFile {
  file: string;
  /** Events whose time could not be read from the file; the caller estimates them. */
  untimed: LogEvent[];
  /** Character offset of each untimed event, and the file's total characters, for estimates. */
  untimedOffsets: number[];
  totalChars: number;
  hadTimestamps: boolean;
  isPsSnapshot: boolean;
}

/**
 * An event that holds only fact literals (no rule can match it), handed over as it was read
 * instead of built into a LogEvent: on a sparse log most built events were these (uvicorn's
 * WebSocket access lines, then stack traces read for their error line), and building them cost
 * more than scanning all the log's other lines.
 */
export interface FactLine {
  file: string;
  line: number;
  /** The PM2 app of a `pm2 logs` prefix, else the stream's service (as buildEvent gives it). */
  service: string;
  time: number;
  /** The event as read, prefixes and all (a slice of the read chunk: not to be kept). */
  raw: string;
  /** Each line's text after its prefixes, joined by `\n`, decoded (an owned copy: facts may keep parts of it). */
  text: string;
  /** The prefilter's class bits of the line. */
  hot: number;
}

/** Longest line taken as a FactLine (the fact patterns read an event's first 2,000 characters). */
const FACT_LINE_MAX = 2000;
/** Lines the FactLine path leaves to buildEvent: ANSI escapes (stripped there) and non-ASCII bytes (decoded there). */
const NOT_PLAIN = /[\x1b\x80-\xff]/;
/** Longest event of several lines taken as a FactLine (a stack trace). */
const FACT_EVENT_MAX = 8000;
/** The same for an event of several lines, which must not hold a `\r` either (buildEvent drops one before each `\n`). */
const NOT_PLAIN_LINES = /[\x1b\x80-\xff\r]/;

export interface StreamParserOptions {
  service: string;
  prefilter: Prefilter;
  /** Build every event (for `rules test`), not only prefilter hits. */
  everyEvent?: boolean;
  /**
   * A built event. `hot`: the prefilter's class bits of its lines (RULE_HIT, or an extra
   * literal's bits) when the prefilter is classed and built it; undefined when every event is built.
   */
  onEvent: (event: LogEvent, hot?: number) => void;
  /**
   * Events with a timestamp of their own that hold fact literals only (classed prefilter), in
   * one read chunk, plain text (ASCII, no escapes, not JSON, no host prefix): given here instead
   * of built. Absent: every such event is built and given to onEvent.
   */
  onFactLine?: ((line: FactLine) => void) | undefined;
  /** The stream's scope (see LogStream.scope), stamped on every event; '' or absent for one scope. */
  scope?: string | undefined;
  /** Refines the scope by the host a line names (batch analysis across boxes). */
  hosts?: HostScopes | undefined;
  /**
   * Watch mode: a time for events of files without timestamps, when they arrive (the arrival
   * time is then the best estimate). Without it they are returned by endFile for estimating.
   */
  clock?: () => number;
  /**
   * A source that knows when each record was written (journald's `__REALTIME_TIMESTAMP`): the
   * time of the record an event starts in, by the event's char offset in the stream. It beats
   * the last timestamp seen before (an event's own timestamp beats both).
   */
  recordTime?: (eventStartChars: number) => number | undefined;
  /** Take repeated lines the fast way (repeat-lines.ts); default on. Off, every event is built: tests compare both. */
  repeats?: boolean;
}

export class StreamParser {
  lines = 0;
  events = 0;
  /** Events taken as repeats of an earlier one (the fast path). */
  repeated = 0;
  truncatedLines = 0;
  /** Earliest and latest timestamps read (epoch ms). */
  firstTime: number | undefined;
  lastTime: number | undefined;

  private readonly tracker = new ContinuationTracker();
  private readonly scan = newPrefixScan();
  /** For the later lines of a FactLine of several lines. */
  private readonly lineScan = newPrefixScan();
  private readonly everyEvent: boolean;

  // file state
  private file = '';
  private lineNo = 0;
  /** Lines before the first chunk of a resumed file: not read now, so not counted. */
  private startLine = 0;
  private charsBefore = 0;
  private fileHadTs = false;
  private untimed: LogEvent[] = [];
  private untimedOffsets: number[] = [];
  private ps: PsLayout | undefined;
  private psTime: number | undefined;
  private firstLineSeen = false;

  // lazily resolved "last timestamp before here"
  private lastTs: number | undefined;
  private pendingStart = -1;
  private pendingEnd = -1;
  private pendingJson = false;

  // the open event
  private evOpen = false;
  private evStart = 0;
  private evCarry = '';
  private evLine = 0;
  private evLines = 0;
  /** Class bits of the open event's hit lines (1 without a classed prefilter); 0: not worth building. */
  private evHot = 0;
  /** The prefilter is classed (its hits carry class bits) and not every event is built. */
  private readonly classed: boolean;
  private evCharOffset = 0;
  /** The event's first line: its end, timestamp (-1: none) and text start, for the repeat fast path. */
  private evEnd = 0;
  private evTsStart = -1;
  private evTsEnd = -1;
  private evContentAt = 0;
  /** The event's first line's PM2 app name and host prefix (-1: none), for the FactLine path. */
  private evAppStart = -1;
  private evAppEnd = -1;
  private evHostStart = -1;
  /** The last PM2 app name of a FactLine, owned (a service's lines name the same app). */
  private lastApp = '';
  private readonly factLines: boolean;
  /** The remembered event the first line repeats, with that line's timestamp (repeat-lines.ts). */
  private evAgain: Template | undefined;
  private evAgainTs = '';
  private evAgainTime = 0;
  private readonly repeats: RepeatLines | undefined;

  constructor(private readonly options: StreamParserOptions) {
    this.everyEvent = options.everyEvent === true || options.prefilter.everyEvent;
    this.classed = options.prefilter.classed === true && !this.everyEvent;
    this.repeats = options.repeats === false ? undefined : new RepeatLines(this.everyEvent ? undefined : options.prefilter.scanner);
    this.factLines = this.classed && options.onFactLine !== undefined;
  }

  /** Start a file (or resume one: `startLine` lines come before the first chunk). */
  beginFile(file: string, startLine = 0): void {
    this.file = file;
    this.lineNo = startLine;
    this.startLine = startLine;
    this.charsBefore = 0;
    this.fileHadTs = false;
    this.untimed = [];
    this.untimedOffsets = [];
    this.ps = undefined;
    this.psTime = undefined;
    this.firstLineSeen = false;
    this.tracker.reset();
    this.repeats?.reset();
  }

  /** `chunk` holds complete lines, each ending in `\n`, as Latin-1 (the file's bytes; see read-file.ts). */
  push(chunk: string): void {
    if (!this.firstLineSeen) this.detectPs(chunk);
    if (this.ps) {
      this.pushPs(chunk);
      return;
    }
    // the prefilter is asked line by line: the next literal from a line on, then (classed, the
    // first not a rule literal) the rest of its line, unless the line repeats a remembered event
    const scanner = this.everyEvent ? undefined : this.options.prefilter.scanner;
    const classed = this.classed;
    const factLines = this.factLines;
    let nextHit = -1;
    let afterRepeat = false;
    const repeats = this.repeats;
    const scan = this.scan;
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      let nl = chunk.indexOf('\n', pos);
      if (nl < 0) nl = len;
      let end = nl;
      if (end > pos && chunk.charCodeAt(end - 1) === 13) end--;
      if (end - pos > MAX_LINE_BYTES) {
        end = pos + MAX_LINE_BYTES;
        this.truncatedLines++;
      }
      this.lineNo++;
      let hot = 0;
      // a line repeating a remembered event (taken as one if its event stays one line) has that
      // event's prefixes where that event had them: no scan. Only lines that will be built are
      // looked up: on a sparse log the lookup of every cold line cost ~15% (measured, 64 MiB).
      // After a repeat, though, the next line is mostly one too (a crash loop): looked up first,
      // it takes its event's class bits without a search for its first literal
      let again: Template | undefined;
      if (scanner !== undefined) {
        let looked = false;
        if (nextHit < pos && afterRepeat && repeats !== undefined) {
          again = repeats.find(chunk, pos, end);
          looked = true;
          if (again?.hotKnown === true) hot = again.hot;
        }
        if (hot === 0) {
          if (nextHit < pos) {
            nextHit = scanner.firstHit(chunk, pos);
            if (nextHit < 0) nextHit = len;
          }
          if (nextHit < nl) {
            hot = classed ? scanner.hitBits : 1;
            if (factLines && !looked && (hot & RULE_HIT) === 0) {
              // a line of fact literals only goes the FactLine way: no repeat lookup (it is not remembered either)
              hot = scanner.lineBits(chunk, nextHit, nl, hot, RULE_HIT);
              if ((hot & (RULE_HIT | RULE_MAYBE)) !== 0) again = repeats?.find(chunk, pos, end);
            } else {
              if (!looked) again = repeats?.find(chunk, pos, end);
              if ((hot & RULE_HIT) === 0) hot = again?.hotKnown === true ? again.hot : scanner.lineBits(chunk, nextHit, nl, hot, RULE_HIT);
            }
          }
        }
        afterRepeat = again !== undefined && hot !== 0;
      } else if (this.everyEvent && repeats !== undefined) again = repeats.find(chunk, pos, end);
      if (again === undefined) scanPrefixes(chunk, pos, end, scan);
      else {
        scan.tsStart = pos + again.tsOffset;
        scan.tsEnd = scan.tsStart + again.tsLen;
        scan.contentAt = pos + again.contentOffset;
      }
      const continues = this.tracker.isContinuation(chunk, scan.contentAt, end);
      if (!(continues && this.evOpen && this.evLines < MAX_EVENT_LINES)) {
        const againTs = repeats?.foundTs ?? '';
        const againTime = repeats?.foundTime ?? 0;
        if (this.evOpen) this.closeEvent(chunk, pos);
        this.openEvent(chunk, pos, end);
        this.evAgain = again;
        this.evAgainTs = againTs;
        this.evAgainTime = againTime;
      }
      this.evLines++;
      this.evHot |= hot;
      pos = nl + 1;
    }
    this.endChunk(chunk);
  }

  /** Close the event being built (watch mode, when a file goes quiet): it is complete as far as we know. */
  flush(): void {
    if (this.evOpen) this.closeEvent('', 0);
  }

  /** The open event's start: characters since beginFile and lines before it. */
  openEventStart(): { chars: number; line: number } | undefined {
    return this.evOpen ? { chars: this.evCharOffset, line: this.evLine - 1 } : undefined;
  }

  /** Lines seen in the current file (including a resumed file's earlier lines). */
  get lineNumber(): number {
    return this.lineNo;
  }

  endFile(): ParsedFile {
    if (this.evOpen) this.closeEvent('', 0);
    this.lines += this.lineNo - this.startLine;
    const result: ParsedFile = {
      file: this.file,
      untimed: this.untimed,
      untimedOffsets: this.untimedOffsets,
      totalChars: this.charsBefore,
      hadTimestamps: this.fileHadTs,
      isPsSnapshot: this.ps !== undefined,
    };
    this.untimed = [];
    this.untimedOffsets = [];
    return result;
  }

  private openEvent(chunk: string, pos: number, end: number): void {
    this.evOpen = true;
    this.evStart = pos;
    this.evCarry = '';
    this.evLine = this.lineNo;
    this.evLines = 0;
    this.evHot = 0;
    this.evCharOffset = this.charsBefore + pos;
    this.events++;
    const scan = this.scan;
    this.evEnd = end;
    this.evTsStart = scan.tsStart;
    this.evTsEnd = scan.tsEnd;
    this.evContentAt = scan.contentAt;
    this.evAppStart = scan.appStart;
    this.evAppEnd = scan.appEnd;
    this.evHostStart = scan.hostStart;
    if (scan.tsStart >= 0) {
      this.pendingStart = scan.tsStart;
      this.pendingEnd = scan.tsEnd;
      this.pendingJson = false;
      if (!this.fileHadTs) this.resolvePending(chunk);
    } else if (chunk.charCodeAt(scan.contentAt) === 123 /* { */ && chunk.charCodeAt(end - 1) === 125 /* } */) {
      this.pendingStart = scan.contentAt;
      this.pendingEnd = end;
      this.pendingJson = true;
    }
  }

  private closeEvent(chunk: string, endPos: number): void {
    this.evOpen = false;
    const hot = this.evHot;
    if (hot === 0 && !this.everyEvent) return;
    if (this.factLines && (hot & RULE_HIT) === 0 && this.evCarry === '' && this.evAgain === undefined && this.factLine(chunk, endPos, hot)) return;
    // one line with its own timestamp, all in this chunk, repeating a remembered event: that event
    // again (repeat-lines.ts); its prefilter bits are its own line's, scanned as any other's
    const repeats = this.evLines === 1 && this.evCarry === '' && this.evTsStart >= 0 ? this.repeats : undefined;
    if (repeats !== undefined && this.evAgain !== undefined) {
      const again = repeats.eventOf(this.evAgain, this.evLine, this.evAgainTs, this.evAgainTime);
      this.repeated++;
      this.noteTime(again.time);
      this.options.onEvent(again, this.classed ? hot : undefined);
      return;
    }
    const raw = fromLatin1(this.evCarry + chunk.slice(this.evStart, endPos));
    const { event, ownTime } = buildEvent(raw, { file: this.file, line: this.evLine, service: this.options.service });
    this.stampScope(event);
    if (ownTime) {
      this.noteTime(event.time);
      repeats?.remember(chunk, this.evStart, this.evTsStart, this.evTsEnd, this.evContentAt, this.evEnd, event, hot);
    } else {
      const current = this.currentTime(chunk);
      event.time = this.options.recordTime?.(this.evCharOffset) ?? current;
    }
    if (event.time === undefined && this.options.clock) {
      event.time = this.options.clock();
      event.timeApprox = true;
    }
    if (event.time === undefined) {
      this.untimed.push(event);
      this.untimedOffsets.push(this.evCharOffset);
      return;
    }
    this.options.onEvent(event, this.classed ? hot : undefined);
  }

  /** The open event, all in `chunk` up to `endPos`, as a FactLine (see StreamParserOptions.onFactLine); false: it is to be built. */
  private factLine(chunk: string, endPos: number, hot: number): boolean {
    const start = this.evStart;
    const one = this.evLines === 1;
    // one line: up to its end (a `\r` before the `\n` dropped); more: their `\n`s and all, none with a `\r`
    const end = one ? this.evEnd : endPos;
    if (this.evTsStart < 0 || this.evHostStart >= 0 || end - start > (one ? FACT_LINE_MAX : FACT_EVENT_MAX)) return false;
    const raw = chunk.slice(start, end);
    if ((one ? NOT_PLAIN : NOT_PLAIN_LINES).test(raw) || chunk.charCodeAt(this.evContentAt) === 123 /* { */) return false;
    // a fact literal that is part of a longer rule literal (`exception: ` in `uncaughtexception: `): the rules decide
    if ((hot & RULE_MAYBE) !== 0 && (this.options.prefilter.absorbed?.test(raw) ?? true)) return false;
    const time = parseTimestamp(chunk.slice(this.evTsStart, this.evTsEnd));
    if (time === undefined) return false;
    let service = this.options.service;
    if (this.evAppStart >= 0) {
      const app = chunk.slice(this.evAppStart, this.evAppEnd);
      // owned (a slice would keep the chunk alive); the line is ASCII, so the same text
      if (app !== this.lastApp) this.lastApp = fromLatin1(app);
      service = this.lastApp;
    }
    // owned copies: fromLatin1 copies, and so does join; each line's text is what buildEvent gives it
    let text: string;
    if (one) text = fromLatin1(chunk.slice(this.evContentAt, end));
    else {
      const texts: string[] = [chunk.slice(this.evContentAt, chunk.indexOf('\n', start))];
      const scan = this.lineScan;
      for (let pos = chunk.indexOf('\n', start) + 1; pos < end; ) {
        const nl = chunk.indexOf('\n', pos);
        scanPrefixes(chunk, pos, nl, scan);
        texts.push(chunk.slice(scan.contentAt, nl));
        pos = nl + 1;
      }
      text = texts.join('\n');
    }
    this.noteTime(time);
    this.options.onFactLine?.({ file: this.file, line: this.evLine, service, time, raw, text, hot });
    return true;
  }

  private stampScope(event: LogEvent): void {
    const scope = this.options.scope ?? '';
    const hosts = this.options.hosts;
    const refined = hosts ? hosts.scopeOf(scope, event) : scope;
    if (refined !== '') event.scope = refined;
  }

  /** Time of the last timestamp seen before the current position. */
  private currentTime(chunk: string): number | undefined {
    this.resolvePending(chunk);
    return this.lastTs;
  }

  private resolvePending(chunk: string): void {
    if (this.pendingStart < 0) return;
    const text = chunk.slice(this.pendingStart, this.pendingEnd);
    const t = this.pendingJson ? parseJsonLine(text)?.time : parseTimestamp(text);
    this.pendingStart = -1;
    if (t !== undefined) this.noteTime(t);
  }

  private noteTime(t: number | undefined): void {
    if (t === undefined) return;
    this.lastTs = t;
    if (!this.fileHadTs) {
      this.fileHadTs = true;
      // events before the file's first timestamp take it (a banner, a stack above the first log line)
      for (const ev of this.untimed) {
        ev.time = t;
        this.options.onEvent(ev);
      }
      this.untimed = [];
      this.untimedOffsets = [];
    }
    if (this.firstTime === undefined || t < this.firstTime) this.firstTime = t;
    if (this.lastTime === undefined || t > this.lastTime) this.lastTime = t;
  }

  private endChunk(chunk: string): void {
    // positions die with the chunk: resolve the pending timestamp, carry the open event's text
    this.resolvePending(chunk);
    if (this.evOpen) {
      // the event goes on in the next chunk: keep its text so far, continue at that chunk's start
      this.evCarry += chunk.slice(this.evStart);
      this.evStart = 0;
    }
    this.charsBefore += chunk.length;
  }

  private detectPs(chunk: string): void {
    this.firstLineSeen = true;
    // process listings are small text files; decode only their head to look
    const head = fromLatin1(chunk.slice(0, 4096)).split('\n', 14);
    const found = detectProcessListing(head);
    if (!found) return;
    this.ps = found.layout;
    this.psTime = found.time;
  }

  private pushPs(chunk: string): void {
    const layout = this.ps;
    if (!layout) return;
    const rows = chunk.split('\n');
    rows.pop(); // chunks end with a newline
    for (const row of rows) {
      this.lineNo++;
      if (row.trim() === '' || psHeader(row) || (this.lineNo === 1 && this.psTime !== undefined)) continue;
      const event = psRowEvent(fromLatin1(row), layout, {
        file: this.file,
        line: this.lineNo,
        service: this.options.service,
        time: this.psTime,
        timeApprox: false,
      });
      if (!event) continue;
      this.stampScope(event);
      this.events++;
      if (event.time === undefined) {
        this.untimed.push(event);
        this.untimedOffsets.push(0);
      } else {
        this.options.onEvent(event);
      }
    }
    this.charsBefore += chunk.length;
  }
}
