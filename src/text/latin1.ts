// The parser's text form. Files are read as Latin-1 (one char per byte) so scanning never pays for
// UTF-8 decoding; only the events that are built get decoded. Shared by sources, parse and match.

/**
 * Longest line we keep; the rest of a longer line is dropped (and counted). The reader cuts
 * lines that span reads; the parser cuts the ones inside a chunk, where it sees line ends anyway.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Text for the parser is the file's bytes as Latin-1: one character per byte, so scanning never
 * pays for UTF-8 decoding (measured: 34% of the CPU on a log with a few non-ASCII glyphs, which
 * also doubled every string's size) and character offsets are byte offsets. The few events that
 * are built get decoded as UTF-8 then (parse/stream-parser.ts).
 */
export function decode(buf: Buffer): string {
  return buf.toString('latin1');
}

/** The bytes of a UTF-8 string in the parser's Latin-1 form. */
export function toLatin1(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** Back from the parser's Latin-1 form to the text the log really holds. */
export function fromLatin1(text: string): string {
  // always a copy, even for ASCII: the text is usually a slice of a whole read chunk, and an
  // event kept as evidence or a fact would keep that chunk alive (measured: +70 MB RSS on the
  // sparse benchmark when ASCII was returned as it was)
  return Buffer.from(text, 'latin1').toString('utf8');
}

const NON_ASCII = /[^\x00-\x7f]/;

