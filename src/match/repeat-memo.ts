// What a stage derived from a repeated event (LogEvent.repeatOf, parse/repeat-lines.ts), kept per
// the event it repeats: the first repeat computes it the ordinary way, later ones reuse it. Only
// for values that depend on the event's text and fields alone, never on its line, time or raw.
import type { LogEvent } from '../model.js';

/** Templates remembered; past this the memo starts over (the parser keeps fewer per file). */
const MAX_ENTRIES = 1024;

export class RepeatMemo<T> {
  private readonly byTemplate = new Map<LogEvent, T>();

  /** The value kept for the event `event` repeats, if any. */
  known(event: LogEvent): T | undefined {
    const template = event.repeatOf;
    return template === undefined ? undefined : this.byTemplate.get(template);
  }

  /** Keep `value`, computed from `event`, for later repeats of the same event. */
  remember(event: LogEvent, value: T): void {
    const template = event.repeatOf;
    if (template === undefined) return;
    if (this.byTemplate.size >= MAX_ENTRIES) this.byTemplate.clear();
    this.byTemplate.set(template, value);
  }
}
