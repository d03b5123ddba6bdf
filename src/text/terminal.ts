// Log text printed to a terminal must not drive it. Escape sequences (ESC, CSI and other C0/C1
// controls) can recolour, move the cursor or retitle the window; bidi overrides and isolates
// (U+202E shows `gpj.exe` as `exe.jpg`) and zero-width characters make a line read differently
// from what it holds. Such characters are shown, not obeyed: `<U+202E>`, the way `less` shows them.

// C0 except tab and newline, DEL, C1, Arabic letter mark, zero-width and directional marks,
// line/paragraph separators, bidi embeddings/overrides, word joiner…isolates, BOM, interlinear marks.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

function codePoint(ch: string): string {
  return (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

/** Text safe for a terminal, keeping tabs and newlines. */
export function visible(text: string): string {
  return text.replace(UNSAFE, (ch) => `<U+${codePoint(ch)}>`);
}

/** One terminal line: tabs and newlines become spaces, everything else unsafe is shown escaped. */
export function visibleLine(text: string): string {
  return visible(text.replace(/[\t\n]/g, ' '));
}

/**
 * JSON text with the same characters as `\uXXXX` escapes: the same document for a parser, inert
 * on a terminal. (They can only occur inside JSON strings, where an escape is always valid.)
 */
export function inertJson(json: string): string {
  return json.replace(UNSAFE, (ch) => `\\u${codePoint(ch).toLowerCase()}`);
}
