// The exit log as it was before its hot path was made incremental (commit 20e9e4d), kept verbatim
// as the reference the faster one must agree with on any sequence (test/correlate/exit-log-agree.test.ts):
// every exit's last error, every count, ties, out-of-order lines, folded minutes.
import { EXIT_SLACK_MS, ERROR_BEFORE_EXIT_MS, type ExitsIn, type TimedError } from '../../src/correlate/exit-log.js';

const RECENT_ERRORS = 16;
const BY_ORDER = 256;
/** The reference's fold size; the tested log must be built with the same. */
export const REFERENCE_MAX_EXACT = 20_000;
const MAX_INTERNED = 10_000;
const MINUTE_MS = 60_000;

interface Paired {
  count: number;
  time: number;
  file: number;
  line: number;
}

export class ReferenceExitLog {
  /** The exact part: per exit its time and last error (text id, -1: none; time, file id, line). */
  private times: number[] = [];
  private errText: number[] = [];
  private errTime: number[] = [];
  private errFile: number[] = [];
  private errLine: number[] = [];
  /** The folded part: minute → error text id (-1: none) → count and latest error. */
  private readonly folded = new Map<number, Map<number, Paired>>();
  private readonly texts: string[] = [];
  private readonly textIds = new Map<string, number>();
  private readonly files: string[] = [];
  private readonly fileIds = new Map<string, number>();
  /** Errors noted, timed or not. */
  errors = 0;
  /** Some error's time was estimated: reports then match errors to exits by order. */
  approx = false;
  /** The latest errors in arrival order (by order), and the latest timed ones (for pairing). */
  readonly byOrder: TimedError[] = [];
  private readonly recent: TimedError[] = [];
  /** Exits whose slack after them has not passed yet: an error up to EXIT_SLACK_MS later may still come. */
  private pending: number[] = [];

  exit(time: number): void {
    let best: TimedError | undefined;
    for (const e of this.recent) if (fits(e, time) && (best === undefined || e.time >= best.time)) best = e;
    this.pending = this.pending.filter((i) => (this.times[i] ?? 0) + EXIT_SLACK_MS >= time);
    if (this.times.length >= REFERENCE_MAX_EXACT) this.fold(REFERENCE_MAX_EXACT / 2);
    this.pending.push(this.times.length);
    this.times.push(time);
    this.errText.push(-1);
    this.errTime.push(0);
    this.errFile.push(0);
    this.errLine.push(0);
    if (best) this.pair(this.times.length - 1, best);
  }

  error(e: TimedError): void {
    this.errors++;
    if (e.approx) this.approx = true;
    ring(this.byOrder, e, BY_ORDER);
    if (e.approx) return;
    ring(this.recent, e, RECENT_ERRORS);
    if (this.pending.length === 0) return;
    this.pending = this.pending.filter((i) => (this.times[i] ?? 0) + EXIT_SLACK_MS >= e.time);
    for (const i of this.pending) {
      const paired = (this.errText[i] ?? -1) >= 0;
      if (fits(e, this.times[i] ?? 0) && (!paired || e.time >= (this.errTime[i] ?? 0))) this.pair(i, e);
    }
  }

  /** The exits from `from` to `to` (inclusive) and the last error before each, by text. */
  exitsIn(from: number, to: number): ExitsIn {
    const byText = new Map<number, Paired>();
    let count = 0;
    const add = (text: number, p: Paired): void => {
      count += p.count;
      if (text < 0) return;
      const g = byText.get(text);
      if (!g) byText.set(text, { ...p });
      else {
        g.count += p.count;
        if (p.time >= g.time) Object.assign(g, { time: p.time, file: p.file, line: p.line });
      }
    };
    for (const [minute, byError] of this.folded) {
      const start = minute * MINUTE_MS;
      if (start + MINUTE_MS <= from || start > to) continue;
      for (const [text, p] of byError) add(text, p);
    }
    this.times.forEach((t, i) => {
      if (t < from || t > to) return;
      add(this.errText[i] ?? -1, { count: 1, time: this.errTime[i] ?? 0, file: this.errFile[i] ?? 0, line: this.errLine[i] ?? 0 });
    });
    const byError = [...byText].map(([text, p]) => ({
      error: { time: p.time, approx: false, file: this.files[p.file] ?? '', line: p.line, text: this.texts[text] ?? '' },
      count: p.count,
    }));
    return { count, byError };
  }

  private pair(i: number, e: TimedError): void {
    this.errText[i] = intern(this.texts, this.textIds, e.text);
    this.errTime[i] = e.time;
    this.errFile[i] = intern(this.files, this.fileIds, e.file);
    this.errLine[i] = e.line;
  }

  /** Fold the oldest `n` exits into their minutes (never one still pending: those are the newest). */
  private fold(n: number): void {
    for (let i = 0; i < n; i++) {
      const minute = Math.floor((this.times[i] ?? 0) / MINUTE_MS);
      let byError = this.folded.get(minute);
      if (!byError) this.folded.set(minute, (byError = new Map()));
      const text = this.errText[i] ?? -1;
      const g = byError.get(text);
      const time = this.errTime[i] ?? 0;
      if (!g) byError.set(text, { count: 1, time, file: this.errFile[i] ?? 0, line: this.errLine[i] ?? 0 });
      else {
        g.count++;
        if (time >= g.time) Object.assign(g, { time, file: this.errFile[i] ?? 0, line: this.errLine[i] ?? 0 });
      }
    }
    this.times = this.times.slice(n);
    this.errText = this.errText.slice(n);
    this.errTime = this.errTime.slice(n);
    this.errFile = this.errFile.slice(n);
    this.errLine = this.errLine.slice(n);
    this.pending = this.pending.map((i) => i - n).filter((i) => i >= 0);
  }
}
/** The id of `value` in `list`; a new value is stored as a flat copy (never a slice keeping its event's text alive). */
function intern(list: string[], ids: Map<string, number>, value: string): number {
  const known = ids.get(value);
  if (known !== undefined) return known;
  const copy = Buffer.from(value, 'utf8').toString('utf8');
  list.push(copy);
  if (ids.size < MAX_INTERNED) ids.set(copy, list.length - 1);
  return list.length - 1;
}

function fits(e: TimedError, exit: number): boolean {
  return e.time <= exit + EXIT_SLACK_MS && exit - e.time <= ERROR_BEFORE_EXIT_MS;
}

function ring<T>(list: T[], value: T, max: number): void {
  list.push(value);
  if (list.length > max * 2) list.splice(0, list.length - max);
}
