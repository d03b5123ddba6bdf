// Per service (PM2 app): its exits, each paired with the last error logged before it, as the logs
// are read in time order (fact-book.ts feeds it). Memory is bounded whatever the log's length: a
// crash loop of days has millions of exits, and one object per pair (its text a slice of its
// event) was ~100 bytes an exit, then columns of numbers grew without end (issue 7's RSS bar).
// The latest MAX_EXACT exits are kept one by one; older ones are folded into per-minute counts per
// error text, which is what the report reads (how many exits, and the last error before them by
// text). Only an incident edge that falls inside a folded minute is counted to the minute.

/** A PM2 exit line has second resolution; an app's error a few ms "after" it is still before it. */
export const EXIT_SLACK_MS = 1000;
/** An error this long before an exit is too old to be why it exited. */
export const ERROR_BEFORE_EXIT_MS = 60_000;
/** Timed errors kept per service to pair with exits seen next (more than one: streams interleave by chunk). */
const RECENT_ERRORS = 16;
/** Errors kept per service in arrival order, for logs whose times are estimated (matched to exits by order). */
const BY_ORDER = 256;
/** Exits kept one by one; past this the older half is folded into minutes. */
const MAX_EXACT = 20_000;
/** Distinct error texts and file names kept, per service; past this, texts are stored unshared. */
const MAX_INTERNED = 10_000;
const MINUTE_MS = 60_000;

export interface TimedError {
  time: number;
  approx: boolean;
  file: string;
  line: number;
  text: string;
}

/** Exits in a time range: how many, and per last-error text how many and the latest such error. */
export interface ExitsIn {
  count: number;
  byError: Array<{ error: TimedError; count: number }>;
}

/** The latest error of one text among some exits, as ids. */
interface Paired {
  count: number;
  time: number;
  file: number;
  line: number;
}

export class ExitLog {
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
  /** Timed errors noted, and the number of the last one older than the one before it. */
  private timed = 0;
  private lastDescent = -Infinity;
  /**
   * Exits whose slack after them has not passed yet (an error up to EXIT_SLACK_MS later may still
   * come), in arrival order. Kept in place and compacted only when a time passes the earliest
   * deadline among them: a new array per line was a fifth of the correlate side's CPU on a log
   * where every line matched.
   */
  private readonly pending: number[] = [];
  /** The earliest `time + EXIT_SLACK_MS` among the pending exits: times up to it expire none. */
  private deadline = Infinity;
  /**
   * An error the first `sharedCount` pending exits are paired with, not yet written to their
   * columns. In a crash loop every error pairs with every pending exit (~75 on the bench log),
   * so an error that provably does (see error()) is noted once here instead.
   */
  private shared: TimedError | undefined;
  private sharedCount = 0;
  /** The latest timed error and exit times so far: bounds for that proof. */
  private latestError = -Infinity;
  private latestExit = -Infinity;

  exit(time: number): void {
    const best = this.bestRecent(time);
    this.expire(time);
    if (this.times.length >= MAX_EXACT) this.fold(MAX_EXACT / 2);
    this.pending.push(this.times.length);
    if (time + EXIT_SLACK_MS < this.deadline) this.deadline = time + EXIT_SLACK_MS;
    if (time > this.latestExit) this.latestExit = time;
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
    const latest = this.latestError;
    if (e.time < (this.recent[this.recent.length - 1]?.time ?? -Infinity)) this.lastDescent = this.timed;
    this.timed++;
    ring(this.recent, e, RECENT_ERRORS);
    if (e.time > latest) this.latestError = e.time;
    if (this.pending.length === 0) return;
    this.expire(e.time);
    // Every pending exit takes this error when it is no older than any error they hold (a tie
    // goes to the later arrival, as below) and at most ERROR_BEFORE_EXIT_MS before the latest
    // exit; expire() already dropped the exits it comes too late for.
    if (e.time >= latest && e.time + ERROR_BEFORE_EXIT_MS >= this.latestExit) {
      // interned now, as a pairing would: which texts get an id shared by all is first come
      intern(this.texts, this.textIds, e.text);
      intern(this.files, this.fileIds, e.file);
      this.shared = e;
      this.sharedCount = this.pending.length;
      return;
    }
    this.settle();
    for (const i of this.pending) {
      const paired = (this.errText[i] ?? -1) >= 0;
      if (fits(e, this.times[i] ?? 0) && (!paired || e.time >= (this.errTime[i] ?? 0))) this.pair(i, e);
    }
  }

  /** The exits from `from` to `to` (inclusive) and the last error before each, by text. */
  exitsIn(from: number, to: number): ExitsIn {
    this.settle();
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

  /** The latest recent error that fits an exit at `time` (the later one of a tie), if any. */
  private bestRecent(time: number): TimedError | undefined {
    const recent = this.recent;
    // in time order (no error older than its predecessor among them): the last one not after
    // the exit's slack is the one, if it is recent enough; the ring holds at most 2 × RECENT_ERRORS
    if (this.timed - this.lastDescent > 2 * RECENT_ERRORS) {
      for (let k = recent.length - 1; k >= 0; k--) {
        const e = recent[k];
        if (e === undefined || e.time > time + EXIT_SLACK_MS) continue;
        return fits(e, time) ? e : undefined;
      }
      return undefined;
    }
    let best: TimedError | undefined;
    for (const e of recent) if (fits(e, time) && (best === undefined || e.time >= best.time)) best = e;
    return best;
  }

  /** Drop the pending exits whose slack has passed by `time`, writing their shared error first. */
  private expire(time: number): void {
    if (time <= this.deadline) return;
    const pending = this.pending;
    const shared = this.shared;
    let kept = 0;
    let keptShared = 0;
    let deadline = Infinity;
    for (let p = 0; p < pending.length; p++) {
      const i = pending[p] ?? 0;
      const due = (this.times[i] ?? 0) + EXIT_SLACK_MS;
      if (due < time) {
        if (shared && p < this.sharedCount) this.pair(i, shared);
        continue;
      }
      if (p < this.sharedCount) keptShared++;
      if (due < deadline) deadline = due;
      pending[kept++] = i;
    }
    pending.length = kept;
    this.sharedCount = keptShared;
    if (keptShared === 0) this.shared = undefined;
    this.deadline = deadline;
  }

  /** Write the shared error into the columns of the exits it pairs with. */
  private settle(): void {
    const shared = this.shared;
    if (!shared) return;
    for (let p = 0; p < this.sharedCount; p++) this.pair(this.pending[p] ?? 0, shared);
    this.shared = undefined;
    this.sharedCount = 0;
  }

  private pair(i: number, e: TimedError): void {
    this.errText[i] = intern(this.texts, this.textIds, e.text);
    this.errTime[i] = e.time;
    this.errFile[i] = intern(this.files, this.fileIds, e.file);
    this.errLine[i] = e.line;
  }

  /** Fold the oldest `n` exits into their minutes (never one still pending: those are the newest). */
  private fold(n: number): void {
    this.settle();
    let minute = NaN;
    let byError = new Map<number, Paired>();
    for (let i = 0; i < n; i++) {
      const m = Math.floor((this.times[i] ?? 0) / MINUTE_MS);
      if (m !== minute) {
        minute = m;
        const known = this.folded.get(minute);
        if (known) byError = known;
        else this.folded.set(minute, (byError = new Map()));
      }
      const text = this.errText[i] ?? -1;
      const g = byError.get(text);
      const time = this.errTime[i] ?? 0;
      if (!g) byError.set(text, { count: 1, time, file: this.errFile[i] ?? 0, line: this.errLine[i] ?? 0 });
      else {
        g.count++;
        if (time >= g.time) {
          g.time = time;
          g.file = this.errFile[i] ?? 0;
          g.line = this.errLine[i] ?? 0;
        }
      }
    }
    this.times = this.times.slice(n);
    this.errText = this.errText.slice(n);
    this.errTime = this.errTime.slice(n);
    this.errFile = this.errFile.slice(n);
    this.errLine = this.errLine.slice(n);
    // an exit out of order by minutes can still be pending among the oldest: it is folded, as before
    const left = this.pending.map((i) => i - n).filter((i) => i >= 0);
    this.pending.length = 0;
    this.pending.push(...left);
    this.deadline = Infinity;
    for (const i of left) this.deadline = Math.min(this.deadline, (this.times[i] ?? 0) + EXIT_SLACK_MS);
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

export function ring<T>(list: T[], value: T, max: number): void {
  list.push(value);
  if (list.length > max * 2) list.splice(0, list.length - max);
}
