// Escaping for Markdown reports. Everything that reaches a report from a log (evidence, service
// names, paths, captures rendered into rule text) is hostile until escaped here: a log line can
// hold backticks, ``` fences, HTML, Markdown headings, Mermaid syntax and terminal escapes.
// Handlebars runs with `noEscape` (its HTML escaping is wrong for Markdown); these functions are
// the only escaping, exposed to templates as helpers.

/** ANSI/VT sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks), and 2-byte ESC codes. */
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]/g;
/** C0/C1 controls except tab and newline, DEL, and bidi overrides (they reorder what a reader sees). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Strip terminal escapes and control characters; normalise line ends to \n. */
export function cleanText(value: string): string {
  return value
    .replace(ANSI, '')
    .replace(/\r\n?|\u2028|\u2029/g, '\n')
    .replace(CONTROL, '');
}

/** Cut to at most `max` characters (never inside a surrogate pair), marking the cut with `…`. */
export function truncate(value: string, max: number): string {
  const chars = Array.from(value);
  if (chars.length <= max) return value;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Cut to at most `max` characters at a line end, so no line (a command in a code block) is cut in half. */
function truncateLines(value: string, max: number): string {
  if (value.length <= max) return value;
  const end = value.lastIndexOf('\n', max);
  return `${value.slice(0, Math.max(0, end))}\n…`;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

export interface FenceOptions {
  /** Info string (language); anything but [a-z0-9+-] is dropped. */
  lang?: string;
  maxLines?: number;
  /** Cap on the characters shown, summed over lines. */
  maxChars?: number;
  /** Cap on one line: minified JS or a JSON blob can be one 100 KB line. */
  maxLineChars?: number;
  /** Prefix for every line but the first (a block inside a list item). */
  indent?: string;
  /**
   * Never cut: for commands a person pastes. A command cut inside a quote runs the lines after it
   * as its arguments; commands are bounded instead by refusing over-long values (shell-values.ts).
   */
  whole?: boolean;
  /** The sentence after a cut block (the report's language); English by default. */
  omittedNote?: (lines: number) => string;
}

/**
 * A fenced code block that its content cannot close: the fence is one backtick longer than the
 * longest backtick run in the content (CommonMark: a closing fence must be at least as long as the
 * opening one), and never shorter than 3. Long content is cut, and the cut is said after the block.
 */
export function fence(content: string, options: FenceOptions = {}): string {
  const whole = options.whole === true;
  const maxLines = whole ? Infinity : (options.maxLines ?? 40);
  const maxChars = whole ? Infinity : (options.maxChars ?? 4096);
  const maxLineChars = whole ? Infinity : (options.maxLineChars ?? 400);
  const lines = cleanText(content).split('\n');
  while (lines.length > 1 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  while (lines.length > 1 && (lines[0] ?? '').trim() === '') lines.shift();

  const shown: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (shown.length >= maxLines) break;
    const chars = Array.from(line);
    let text = line;
    if (chars.length > maxLineChars) {
      text = `${chars.slice(0, maxLineChars).join('')} …[+${chars.length - maxLineChars} chars]`;
    }
    if (shown.length > 0 && used + text.length > maxChars) break;
    shown.push(text);
    used += text.length + 1;
  }
  const omitted = lines.length - shown.length;
  const body = shown.join('\n');
  const ticks = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  const lang = (options.lang ?? '').toLowerCase().replace(/[^a-z0-9+-]/g, '');
  let block = `${ticks}${lang}\n${body === '' ? '(empty)' : body}\n${ticks}`;
  if (omitted > 0) block += `\n\n${options.omittedNote ? options.omittedNote(omitted) : `_… ${omitted} more ${omitted === 1 ? 'line' : 'lines'} not shown._`}`;
  const indent = options.indent ?? '';
  return indent === '' ? block : block.replace(/\n/g, `\n${indent}`);
}

const ENTITY = /&(?=#?[A-Za-z0-9]+;)/g;

/**
 * Inline text in prose: a log-controlled value (service name, path capture, title) cannot open a
 * heading, list, link, image, HTML tag, code span, emphasis or math. Newlines collapse to spaces.
 * Escapes only what can change structure, so the raw Markdown stays readable in a terminal.
 */
export function inline(value: string, max = 300): string {
  const text = truncate(cleanText(value).replace(/\s+/g, ' ').trim(), max);
  // `&#60;` would show as `<`: keep entity-looking text literal.
  const chars = Array.from(text.replace(ENTITY, '&amp;'));
  let out = '';
  chars.forEach((c, i) => {
    const prev = chars[i - 1] ?? ' ';
    const next = chars[i + 1] ?? ' ';
    switch (c) {
      case '\\':
        // A backslash only escapes ASCII punctuation: double it there, keep C:\app readable.
        out += /[!-/:-@[-`{-~]/.test(next) ? '\\\\' : '\\';
        break;
      case '<':
        out += '&lt;';
        break;
      case ':':
        // `http\://` and `www\.` render the same but are not turned into links by GFM's autolinker.
        out += next === '/' && chars[i + 2] === '/' ? '\\:' : ':';
        break;
      case '.':
        out += /^www$/i.test(chars.slice(Math.max(0, i - 3), i).join('')) ? '\\.' : '.';
        break;
      case '>':
        out += '&gt;';
        break;
      case '_':
        // Intraword underscores (snake_case) never make emphasis in GFM.
        out += /[\p{L}\p{N}]/u.test(prev) && /[\p{L}\p{N}]/u.test(next) ? '_' : '\\_';
        break;
      case '[':
      case ']':
      case '`':
      case '*':
      case '~':
      case '|':
      case '$':
        out += `\\${c}`;
        break;
      default:
        out += c;
    }
  });
  // Line-start constructs, in case a template puts the value at the start of a line.
  return out
    .replace(/^(#{1,6})(?=\s|$)/, '\\$1')
    .replace(/^([-+=])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/** A table cell: inline escaping (which covers `|`), newlines collapsed, length capped. */
export function cell(value: string, max = 80): string {
  const text = inline(value, max);
  return text === '' ? '—' : text;
}

/**
 * An inline code span its content cannot close. In a table `|` still splits cells inside code
 * spans (GFM), so `inTable` escapes it; outside tables that escape would show up literally.
 */
export function code(value: string, options: { max?: number; inTable?: boolean } = {}): string {
  let text = truncate(cleanText(value).replace(/\s+/g, ' ').trim(), options.max ?? 200);
  if (text === '') return '';
  if (options.inTable) text = text.replace(/\|/g, '\\|');
  const ticks = '`'.repeat(longestRun(text, '`') + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const INDENTED = /^(?: {4}|\t)/;

export interface FenceState {
  char: string;
  length: number;
}

/** CommonMark fence tracking: does `line` open a fence (when `state` is null) or close `state`? */
export function fenceStep(line: string, state: FenceState | null): FenceState | null {
  if (state === null) {
    const m = FENCE_OPEN.exec(line);
    const run = m?.[2];
    if (run === undefined) return null;
    const char = run.charAt(0);
    if (char === '`' && (m?.[3] ?? '').includes('`')) return null;
    return { char, length: run.length };
  }
  const close = /^ {0,3}(`+|~+)[ \t]*$/.exec(line)?.[1];
  if (close !== undefined && close.charAt(0) === state.char && close.length >= state.length) return null;
  return state;
}

/**
 * Escape a prose line outside its code spans (`<`, `[`, `]`, `$`), pairing backtick runs the way
 * CommonMark does: a backslash escape is literal text, a run opens a span closed by the next run of
 * exactly the same length. A run without a partner is escaped, so the renderer pairs exactly the
 * spans seen here and nothing left unescaped can end up outside a span. `unmatched` says whether
 * such a run was found (its partner may be on a following line).
 */
function escapeOutsideCode(line: string): { out: string; unmatched: boolean } {
  let out = '';
  let unmatched = false;
  let i = 0;
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === '\\' && /[!-/:-@[-`{-~]/.test(line.charAt(i + 1))) {
      out += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c !== '`') {
      if (c === '<') out += '&lt;';
      else if (c === '[' || c === ']' || c === '$') out += `\\${c}`;
      // GFM's extended autolinks take `http://...` and `www....` as links even across backslashes
      // and backticks, which would undo the pairing above: `\://` and `www\.` keep them text.
      else if (c === ':' && line.startsWith('//', i + 1)) out += '\\:';
      else if (c === '.' && /(?:^|[^\w.-])www$/i.test(line.slice(Math.max(0, i - 4), i))) out += '\\.';
      else out += c;
      i += 1;
      continue;
    }
    let j = i;
    while (line[j] === '`') j += 1;
    let close = -1;
    for (let k = j; k < line.length; ) {
      if (line[k] !== '`') {
        k += 1;
        continue;
      }
      let m = k;
      while (line[m] === '`') m += 1;
      if (m - k === j - i) {
        close = m;
        break;
      }
      k = m;
    }
    if (close === -1) {
      unmatched = true;
      out += '\\`'.repeat(j - i);
      i = j;
    } else {
      out += line.slice(i, close);
      i = close;
    }
  }
  return { out, unmatched };
}

/** Block quote and list markers a line may start with; a heading can hide behind them (`- > # x`). */
const CONTAINERS = /^(?:[ \t]{0,3}(?:>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+))*/;

/** Escape one prose line: inline constructs outside code spans, then block starts. */
function escapeProseLine(line: string): string {
  const escaped = escapeOutsideCode(line).out;
  // `- ` alone is a setext underline, not an empty list item, when a paragraph line precedes it.
  if (/^[ \t]{0,3}(?:=+|-+)[ \t]*$/.test(escaped)) return escaped.replace(/^([ \t]{0,3})/, '$1\\');
  const prefix = CONTAINERS.exec(escaped)?.[0] ?? '';
  const rest = escaped
    .slice(prefix.length)
    .replace(/^([ \t]{0,3})(#{1,6})(?=\s|$)/, '$1\\$2')
    .replace(/^([ \t]{0,3})(=+|-+)([ \t]*)$/, '$1\\$2$3');
  return prefix + rest;
}

/**
 * Rule-authored prose (summary, diagnosis, remediation detail, verify and prevent items): Markdown
 * is kept (code spans, emphasis, lists, code blocks) because rule authors write it, but the text
 * may carry log captures, so it cannot open headings, HTML, links or images, and a code block it
 * opens is closed at its end, so it can never swallow the rest of the report.
 * `indent` prefixes continuation lines (for list items).
 */
export function prose(value: string, options: { indent?: string; max?: number } = {}): string {
  const indent = options.indent ?? '';
  const lines = truncateLines(cleanText(value).trim(), options.max ?? 8000).split('\n');
  let state: FenceState | null = null;
  let inList = false;
  let afterBlank = true;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (state === null && afterBlank && !inList && INDENTED.test(line) && line.trim() !== '') {
      // An indented code block. Escaping inside it would show the backslashes, so re-emit it as a
      // fenced block, which renders the same and which its content cannot close.
      let end = i;
      while (end < lines.length && (INDENTED.test(lines[end] ?? '') || (lines[end] ?? '').trim() === '')) end += 1;
      while (end > i && (lines[end - 1] ?? '').trim() === '') end -= 1;
      out.push(...fence(lines.slice(i, end).map((l) => l.replace(INDENTED, '')).join('\n'), { whole: true }).split('\n'));
      i = end - 1;
      afterBlank = false;
      continue;
    }
    const next = fenceStep(line, state);
    if (state !== null || next !== null) {
      out.push(line);
    } else {
      // Rule authors wrap lines inside code spans. Join the wrapped lines (a newline in a code
      // span renders as a space anyway), so the span is paired here exactly as it will render.
      let joined = line;
      if (escapeOutsideCode(line).unmatched) {
        let candidate = line;
        for (let k = i + 1; k < Math.min(lines.length, i + 8); k += 1) {
          const more = lines[k] ?? '';
          if (more.trim() === '' || fenceStep(more, null) !== null) break;
          candidate = `${candidate} ${more.trim()}`;
          if (!escapeOutsideCode(candidate).unmatched) {
            joined = candidate;
            i = k;
            break;
          }
        }
      }
      out.push(escapeProseLine(joined));
    }
    if (state === null && next === null) {
      // Lists: an indented block after a blank line inside a list item continues the item.
      if (/^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:\s|$)/.test(line)) inList = true;
      else if (afterBlank && line.trim() !== '' && !/^\s/.test(line)) inList = false;
    }
    afterBlank = line.trim() === '';
    state = next;
  }
  if (state !== null) out.push(state.char.repeat(state.length));
  return out.map((line, i) => (i === 0 || line === '' ? line : indent + line)).join('\n');
}

/** Mermaid keywords that change a gantt line's meaning when they start it (case-insensitive). */
const MERMAID_KEYWORDS =
  /^(?:gantt|title|section|dateformat|axisformat|tickinterval|includes|excludes|todaymarker|inclusiveenddates|topaxis|weekday|weekend|click|call|href|accTitle|accDescr|accDescription|\d{4}-\d\d-\d\d)\b/i;

/**
 * Text for a Mermaid gantt task or section: Mermaid's lexer ends a task name at `:`, treats `#`
 * and `%` as comments, `;` and newlines as statement ends, and renders labels as HTML. Keep letters,
 * digits and a few safe punctuation marks; map the rest to spaces.
 */
export function mermaidText(value: string, max = 60): string {
  const text = cleanText(value)
    .replace(/["'`#%;:]/g, ' ')
    .replace(/[^\p{L}\p{N} ._()/,+=@!?*-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const safe = MERMAID_KEYWORDS.test(text) ? `- ${text}` : text;
  return truncate(safe, max) || 'incident';
}

/** Quote a word for a POSIX shell when it needs it. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A file name from an incident id: [A-Za-z0-9._-] only, no leading dot, bounded. */
export function safeFileName(id: string): string {
  const base = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120);
  return base === '' ? 'incident' : base;
}
