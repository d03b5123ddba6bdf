// Which lines continue the event before them: Node stack frames and `{ ... }` error dumps,
// `Require stack:` lists, Python tracebacks (through the final `RuntimeError: ...` line and
// chained "During handling..." blocks), Node's uncaught-exception caret blocks, and V8's
// out-of-memory report. Called for every line with the index where its text starts (after
// prefixes), so it looks at the first character before comparing any string.

const enum State {
  Normal,
  RequireStack,
  Traceback,
  ExpectError,
  V8Report,
}

/** Longest event we join; past it a new event starts, so one odd file can't build a huge event. */
export const MAX_EVENT_LINES = 400;

export class ContinuationTracker {
  private state: State = State.Normal;

  reset(): void {
    this.state = State.Normal;
  }

  /**
   * Is the line whose text starts at `s[at]` (and ends at `end`) a continuation of the current
   * event? Also advances the tracker's state.
   */
  isContinuation(s: string, at: number, end: number): boolean {
    if (at >= end) return true; // blank line: stays with the event before it
    const c = s.charCodeAt(at);
    if (c === 32 || c === 9) {
      // Next.js indents its own status lines (` ⨯ [Error: …`, ` ⚠ Port …`, `   ▲ Next.js 15`)
      // and request lines (` GET /api 200 in 5ms`): each starts an event, or back-to-back errors
      // would merge into one
      if (startsWithNextGlyph(s, at, end) || startsWithRequestLine(s, at, end)) {
        this.state = State.Normal;
        return false;
      }
      // indented: frames, dump fields, traceback frames; a lone caret marks Node's source excerpt
      if (this.state === State.Normal || this.state === State.ExpectError) {
        if (isCaretLine(s, at, end)) this.state = State.ExpectError;
      }
      return true;
    }
    switch (this.state) {
      case State.ExpectError:
        // the error line after `throw er; // ...` / `^` belongs to the same crash report
        this.state = State.Normal;
        return true;
      case State.Traceback:
        // first unindented line after frames is the exception itself: it ends the traceback
        this.state = State.Normal;
        if (s.startsWith('Traceback (most recent call last):', at)) this.state = State.Traceback;
        return true;
      case State.RequireStack:
        if (c === 45 /* - */ && s.charCodeAt(at + 1) === 32) return true;
        this.state = State.Normal;
        break;
      case State.V8Report:
        if (c === 91 /* [ */ || c === 60 /* < */ || c === 45 /* - */ || c === 70 /* F */ || c === 35 /* # */ || c === 83 /* S */) {
          if (
            (c === 91 && isDigitAt(s, at + 1)) ||
            s.startsWith('<--- ', at) ||
            s.startsWith('----- ', at) ||
            s.startsWith('FATAL ERROR:', at) ||
            s.startsWith('#', at) ||
            s.startsWith('Security context:', at)
          ) {
            return true;
          }
        }
        this.state = State.Normal;
        break;
      default:
        break;
    }
    switch (c) {
      case 125 /* } */:
      case 93 /* ] */:
        return true;
      case 82 /* R */:
        if (s.startsWith('Require stack:', at)) {
          this.state = State.RequireStack;
          return true;
        }
        return false;
      case 84 /* T */:
        if (s.startsWith('Traceback (most recent call last):', at)) {
          this.state = State.Traceback;
          return true;
        }
        return s.startsWith('The above exception was the direct cause', at);
      case 68 /* D */:
        return s.startsWith('During handling of the above exception', at);
      case 69 /* E */:
        return s.startsWith("Emitted 'error' event", at);
      case 78 /* N */:
        return s.startsWith('Node.js v', at) && isDigitAt(s, at + 9);
      case 67 /* C */:
        return s.startsWith('Caused by:', at);
      case 60 /* < */:
        if (s.startsWith('<--- Last few GCs --->', at)) {
          this.state = State.V8Report;
          return false; // starts a new event
        }
        if (s.startsWith('<--- JS stacktrace --->', at)) return true;
        return false;
      default:
        return false;
    }
  }
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Second and third UTF-8 bytes of ⨯ ⚠ ✓ ○ ▲ (all start with 0xE2). */
const NEXT_GLYPHS = [0xa8af, 0x9aa0, 0x9c93, 0x978b, 0x96b2];

/** ⨯ ⚠ ✓ ○ ▲ after up to 4 spaces, followed by a space. The text is Latin-1 (bytes). */
function startsWithNextGlyph(s: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && i - at < 4 && s.charCodeAt(i) === 32) i++;
  if (s.charCodeAt(i) !== 0xe2 || s.charCodeAt(i + 3) !== 32) return false;
  return NEXT_GLYPHS.includes((s.charCodeAt(i + 1) << 8) | s.charCodeAt(i + 2));
}

const METHODS = ['GET ', 'POST ', 'PUT ', 'DELETE ', 'PATCH ', 'HEAD ', 'OPTIONS '];

/** ` GET /path` after up to 4 spaces (Next.js request log). */
function startsWithRequestLine(s: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && i - at < 4 && s.charCodeAt(i) === 32) i++;
  const c = s.charCodeAt(i);
  if (c < 65 || c > 90) return false;
  for (const m of METHODS) if (s.startsWith(m, i) && s.charCodeAt(i + m.length) === 47 /* / */) return true;
  return false;
}

function isCaretLine(s: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return s.charCodeAt(i) === 94 /* ^ */ && i + 1 >= end;
}
