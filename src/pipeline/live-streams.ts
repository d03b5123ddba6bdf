// The parse side of watch mode: one StreamParser per open stream, fed the sources' bytes, and
// the answer to "where would a restart resume this stream?": the byte offset of the event still
// being built (a restart re-reads it whole), found from the chunks pushed since it began.
import path from 'node:path';
import type { LogEvent } from '../model.js';
import type { Prefilter } from '../parse/prefilter.js';
import { StreamParser } from '../parse/stream-parser.js';
import { serviceFromFileName } from '../sources/discover.js';
import type { StreamOpen } from '../sources/source.js';
import { Pm2Timeline } from './pm2-timeline.js';

interface ChunkEntry {
  chars: number;
  bytes: number;
  text: string;
  /** When the source wrote this record, if it knows (journald). */
  time: number | undefined;
}

interface Tracked {
  parser: StreamParser;
  /** Text pushed since the open event started, to map its char offset back to bytes. */
  log: ChunkEntry[];
  chars: number;
  /** Byte offset just past everything pushed. */
  end: number;
  lastPushAt: number;
  flushed: boolean;
  /** The source dates its records (journald): only then is an event's record time looked up. */
  timed: boolean;
}

export class LiveStreams {
  private readonly streams = new Map<number, Tracked>();
  private readonly pm2 = new Pm2Timeline();

  constructor(
    private readonly prefilter: Prefilter,
    private readonly onEvent: (event: LogEvent) => void,
  ) {}

  open(s: StreamOpen): void {
    const pm2Daemon = s.liveName === 'pm2.log';
    const parser = new StreamParser({
      service: serviceFromFileName(path.basename(s.liveName)),
      prefilter: this.prefilter,
      // PM2's daemon log names apps only on some lines: the timeline fills in the rest
      everyEvent: pm2Daemon,
      clock: () => Date.now(),
      // the entries from the event being closed on are still in the log when it closes
      recordTime: (chars) => {
        const t = this.streams.get(s.id);
        return t?.timed ? this.entryAt(t, chars)?.time : undefined;
      },
      onEvent: (e) => {
        if (pm2Daemon) this.pm2.note(e);
        this.onEvent(e);
      },
    });
    parser.beginFile(s.display, s.startLine);
    this.streams.set(s.id, { parser, log: [], chars: 0, end: s.offset, lastPushAt: Date.now(), flushed: true, timed: false });
  }

  deliver(id: number, chunk: string, start: number, end: number, time?: number): void {
    const t = this.streams.get(id);
    if (!t) return;
    t.log.push({ chars: t.chars, bytes: start, text: chunk, time });
    if (time !== undefined) t.timed = true;
    t.chars += chunk.length;
    // end, not start + length: a cut over-long line consumed more bytes than it delivered
    t.end = end;
    t.lastPushAt = Date.now();
    t.flushed = false;
    t.parser.push(chunk);
    const open = t.parser.openEventStart();
    // keep only the text from the open event on (it may have to be re-read after a restart)
    if (!open) t.log = [];
    else while (t.log.length > 1 && (t.log[1]?.chars ?? Infinity) <= open.chars) t.log.shift();
  }

  restart(id: number, display: string): void {
    const t = this.streams.get(id);
    if (!t) return;
    t.parser.endFile();
    t.parser.beginFile(display, 0);
    t.log = [];
    t.chars = 0;
    t.end = 0;
  }

  /** The stream ended: its open event is complete. Returns where it ended, and forgets it. */
  close(id: number): { offset: number; line: number } {
    const t = this.streams.get(id);
    if (!t) return { offset: 0, line: 0 };
    t.parser.endFile();
    t.log = [];
    const end = this.committedOffset(id);
    this.streams.delete(id);
    return end;
  }

  /** Where to resume: the start of the event still open, or everything delivered. */
  committedOffset(id: number): { offset: number; line: number } {
    const t = this.streams.get(id);
    if (!t) return { offset: 0, line: 0 };
    const open = t.parser.openEventStart();
    const e = open && this.entryAt(t, open.chars);
    // the text is Latin-1 (one char per byte), so a char offset is a byte offset
    if (open && e) return { offset: e.bytes + (open.chars - e.chars), line: open.line };
    return { offset: t.end, line: t.parser.lineNumber };
  }

  /** The pushed chunk holding char offset `chars`, if still kept. */
  private entryAt(t: Tracked | undefined, chars: number): ChunkEntry | undefined {
    for (const e of t?.log ?? []) if (chars >= e.chars && chars < e.chars + e.text.length) return e;
    return undefined;
  }

  /** Close events that got no continuation line for `quietMs`: they are complete as far as we know. */
  flushIdle(quietMs: number): void {
    const now = Date.now();
    for (const t of this.streams.values()) {
      if (!t.flushed && now - t.lastPushAt >= quietMs) {
        t.parser.flush();
        t.log = [];
        t.flushed = true;
      }
    }
  }

  flushAll(): void {
    for (const t of this.streams.values()) t.parser.flush();
  }
}
