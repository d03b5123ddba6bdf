// The one way a value read from a log enters text a person may paste: a shell command, a verify
// step, code in a remediation's detail, an ecosystem.config.js snippet. A log line is written by
// whoever can make the app log (a request path, a user name, an app name), so a value is checked
// against the type its rule declares (an app name, a port, a path, a host...) and quoted for where
// it goes. A value that does not fit its type is refused: the step is shown with a placeholder
// (`<app>`) and a note saying why, never with the value.
import type { CaptureType } from '../rules/capture-types.js';

/** A capture's value as rule templates see it: prints as the raw text, carries its name and type. */
export class LogValue {
  constructor(
    readonly name: string,
    readonly type: CaptureType,
    readonly raw: string,
  ) {}

  toString(): string {
    return this.raw;
  }
}

interface TypeSpec {
  /** What a fitting value is, for the note ("is not a valid PM2 app name"). */
  what: string;
  placeholder: string;
  max: number;
  /** undefined: never allowed in pasteable code (free text). */
  valid: ((v: string) => boolean) | undefined;
}

const NAME = /^[\p{L}\p{N}_@][\p{L}\p{N}_.@+:-]*$/u;
// Paths: printable characters a real path uses; no quotes, backticks, `$`, `;`, `|`, `&`, `<`, `>`,
// `*`, `?`, control or bidi characters (no real app path needs them, and they confuse readers).
const PATH = /^[\p{L}\p{N}_./@+,:=%~ ()[\]{}#!^-]+$/u;
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?|\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?\]?)$/;

const TYPES: Record<CaptureType, TypeSpec> = {
  app: { what: 'a valid PM2 app name (letters, digits and _ . - @ + :, not starting with - or .)', placeholder: '<app>', max: 100, valid: (v) => NAME.test(v) },
  port: { what: 'a TCP port (1-65535)', placeholder: '<port>', max: 5, valid: (v) => /^[1-9]\d{0,4}$/.test(v) && Number(v) <= 65535 },
  pid: { what: 'a process id', placeholder: '<pid>', max: 10, valid: (v) => /^[1-9]\d{0,9}$/.test(v) },
  int: { what: 'a whole number', placeholder: '<number>', max: 19, valid: (v) => /^\d{1,19}$/.test(v) },
  signal: { what: 'a signal name like SIGTERM', placeholder: '<signal>', max: 16, valid: (v) => /^SIG[A-Z0-9+]{2,12}$/.test(v) },
  path: { what: 'a file path (no quotes, $, `, ;, |, &, <, >, * or ?, not starting with -)', placeholder: '<path>', max: 1024, valid: (v) => PATH.test(v) && !v.startsWith('-') },
  module: {
    what: 'a module name or path',
    placeholder: '<module>',
    max: 512,
    valid: (v) => (PATH.test(v) && !v.startsWith('-')) || /^@?[\w.~-]+(?:\/[\w.~@+-]+)*$/.test(v),
  },
  host: { what: 'a host name or IP address', placeholder: '<host>', max: 255, valid: (v) => HOST.test(v) },
  url: { what: 'an http(s) URL', placeholder: '<url>', max: 2048, valid: (v) => /^https?:\/\/[A-Za-z0-9._~:/?#[\]@!&()*+,;=%-]+$/.test(v) },
  word: { what: 'a single word (letters, digits and _ . - @ + :)', placeholder: '<value>', max: 100, valid: (v) => NAME.test(v) },
  time: { what: 'an ISO-8601 time', placeholder: '<time>', max: 40, valid: (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/.test(v) },
  text: { what: '', placeholder: '<text>', max: 0, valid: undefined },
};

/** Why `raw` cannot be used as a `type`, or undefined when it can. */
export function refusal(type: CaptureType, raw: string): string | undefined {
  const spec = TYPES[type];
  if (spec.valid === undefined) return 'is free text, which is never put into a command';
  if (raw.length > spec.max) return `is ${raw.length} characters long, too long for ${spec.what.replace(/ \(.*$/, '')}`;
  if (raw.startsWith('-')) return `starts with "-", so it would be read as an option`;
  if (raw === '.' || raw === '..') return `is not ${spec.what}`;
  if (spec.valid(raw)) return undefined;
  if (raw.includes('/') && PATH.test(raw)) return `is a path where ${spec.what.replace(/ \(.*$/, '')} is expected`;
  return `is not ${spec.what}`;
}

export function placeholder(type: CaptureType): string {
  return TYPES[type].placeholder;
}

/** Characters that never need quoting in a POSIX shell word (not at its start: see `refusal`). */
const BARE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One shell word: bare when that is safe, else single-quoted with ' written as '\''. */
export function shellWord(value: string): string {
  if (value !== '' && BARE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A JavaScript string literal whose text is inert wherever the snippet is pasted: besides the JS
 * escapes, characters a shell would interpret inside double quotes ($, `, ", !, \) and anything
 * outside printable ASCII are written as \u escapes.
 */
export function jsString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (/[A-Za-z0-9 _.,:/@+=%~^()[\]{}#&|;<>?*-]/.test(ch)) out += ch;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return `${out}'`;
}

/** A value shown inside a note: quoted, short, every control, bidi and backtick character escaped. */
export function showValue(raw: string, max = 60): string {
  const chars = Array.from(raw);
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}…` : raw;
  return JSON.stringify(cut).replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff`]/g, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** The name a note uses for a capture: "the app name", "the port", "the module". */
export function describeCapture(value: LogValue): string {
  if (value.name === 'service') return 'the app name';
  return `the ${value.name.replace(/_/g, ' ')}`;
}
