// Facts about a service that no rule is about but every diagnosis needs: the port it announced,
// the exits PM2 logged, the last error before each exit, WebSocket handshakes, logged pool
// settings. They are rule-like patterns with required literals, so the prefilter builds the
// events holding them and every other line still costs only the literal scan; the patterns run
// only on built events.
import type { LogEvent } from '../model.js';
import { RULE_HIT } from '../parse/prefilter.js';

export type Fact =
  | { kind: 'port'; port: number }
  | { kind: 'exit'; app: string; code: string; signal: string }
  | { kind: 'error'; text: string }
  | { kind: 'ws-access'; peer: string; path: string; status: string }
  | { kind: 'pool'; settings: Record<string, number> }
  | { kind: 'pm2-app'; app: string };

/** Which fact patterns a line's literal asks for: class bits of the prefilter's hits (RULE_HIT is 1). */
const PORT = 2;
const ERROR = 4;
const WS = 8;
const POOL = 16;

/**
 * What the prefilter scans for on behalf of the fact patterns (the scanner ignores ASCII case),
 * with the patterns each one asks for. Long literals only: the shortest literal sets the scanner's
 * longest shift over every line (`error:` instead of `error: ` cost ~15% of the scan), and a
 * short common one (`pool`) measured on the 64 MiB bench log cost more than the events it found.
 * The error literals are the ones ERROR_LINE requires (`Error: x`, `Error [ERR_X]: x`, `Exception: x`).
 */
export const FACT_LITERALS: ReadonlyMap<string, number> = new Map([
  ['ready on', PORT],
  ['- local:', PORT],
  ['started server on', PORT],
  ['running on', PORT],
  ['listening on', PORT],
  ['listening at', PORT],
  [' on port ', PORT],
  // `address already in use` is a port-in-use literal, and PM2's daemon log (`exited with code`) is read whole
  ['error: ', ERROR],
  ['exception: ', ERROR],
  ['error [', ERROR],
  ['"websocket ', WS],
  ['pool_size', POOL],
  ['max_overflow', POOL],
  ['connection_limit', POOL],
  ['maxpoolsize', POOL],
  ['connectiontimeoutmillis', POOL],
  ['pool config', POOL],
]);

// `> Ready on http://0.0.0.0:5000` (custom Next server), `- Local:        http://localhost:5000`
// (Next 13+), `ready - started server on 0.0.0.0:3000` (Next 12/13), `Uvicorn running on
// http://127.0.0.1:8000`, `Listening on http://[::]:8080`.
const ANNOUNCED_URL =
  /(?:Ready on|Local:|started server on|[Rr]unning on|[Ll]istening on|[Ll]istening at)\s+(?:https?:\/\/)?(?:\[[^\]\s]*\]|[\w.-]*):(?<port>\d{2,5})\b/;
// `Server running on port 3000`, `Listening on port 3000`, `listening on 5080`.
const ANNOUNCED_PORT = /\b(?:[Ll]istening|[Rr]unning|[Ss]tarted|[Ss]erving)(?: on| at)(?: port)? (?<port>\d{2,5})\b/;
// Node `listen EADDRINUSE: address already in use :::5077` / `0.0.0.0:5000`.
const IN_USE = /address already in use (?:[\w.[\]-]*:)*(?<port>\d{2,5})\b/;
const EXIT = /App \[(?<app>[^\]\n]{1,200}?):\d+\] exited with code \[(?<code>[^\]\n]*)\] via signal \[(?<signal>\w*)\]/;
const PM2_APP = /\bApp \[(?<app>[^\]\n]{1,200}?):\d+\]/;
// The error's own line: `Error: x`, `TypeError: x`, `Error [ERR_X]: x`, ` ⨯ [Error: x`,
// `sqlalchemy.exc.TimeoutError: x`, `RuntimeError: x`.
const ERROR_LINE = /^\s*(?:FATAL ERROR: \S|(?:⨯\s*)?\[?(?:Uncaught )?(?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$]*(?:Error|Exception)(?: \[[\w-]+\])?: \S)/;
// uvicorn: `127.0.0.1:57614 - "WebSocket /ws/<id>?x=1" [accepted]` or `... 403`.
const WS_ACCESS = /(?<peer>[\w.:[\]-]+?):\d+ - "WebSocket (?<path>[^"\s]+)" (?<status>\[accepted\]|\d{3})/;
// Pool settings as apps print them: `max: 10`, `pool_size=10 max_overflow=20`, `connection_limit=5`.
const POOL_KEYS = /\b(?<key>max|maxPoolSize|poolSize|pool_size|max_overflow|pool_timeout|connection_limit|connectionLimit|max_size|connectionTimeoutMillis)["']?\s*[:=]\s*(?<value>\d+)\b/g;
const POOL_WORD = /pool/i;

function port(re: RegExp, text: string): number | undefined {
  const m = re.exec(text);
  const n = Number(m?.groups?.port);
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
}

/** The line an error event is about: the first error line of a Node stack, the last of a Python traceback. */
export function errorLine(text: string): string | undefined {
  if (!text.includes('Error') && !text.includes('Exception') && !text.includes('ERROR: ')) return undefined;
  const lines = text.split('\n', 400);
  const python = /^Traceback \(most recent call last\)/m.test(text);
  let found: string | undefined;
  for (const line of lines) {
    if (!ERROR_LINE.test(line)) continue;
    found = line.trim().replace(/^⨯\s*/, '');
    if (!python) break;
  }
  return found?.slice(0, 400);
}

/**
 * Facts one log event states. Runs on built events only (a prefilter or rule hit). `hot`: the
 * prefilter's class bits of the event's lines; an event built only for fact literals runs only
 * the patterns its literals ask for (undefined or a rule literal: all of them).
 */
export function matchFacts(event: LogEvent, hot?: number): Fact[] {
  return factsOfText(event.text, hot);
}

/** matchFacts on an event's text alone (all it reads): a FactLine's, which is not built into an event. */
export function factsOfText(text: string, hot?: number): Fact[] {
  const out: Fact[] = [];
  const all = hot === undefined || (hot & RULE_HIT) !== 0;
  const first = text.length > 2000 ? text.slice(0, 2000) : text;
  const announced = all || (hot & PORT) !== 0 ? (port(ANNOUNCED_URL, first) ?? port(ANNOUNCED_PORT, first) ?? port(IN_USE, first)) : undefined;
  if (announced !== undefined) out.push({ kind: 'port', port: announced });
  const exit = first.includes('App [') ? EXIT.exec(first) : null;
  if (exit?.groups) {
    out.push({ kind: 'exit', app: exit.groups.app ?? '', code: exit.groups.code ?? '', signal: exit.groups.signal ?? '' });
  } else {
    const app = exit === null && first.includes('App [') ? PM2_APP.exec(first)?.groups?.app : undefined;
    if (app) out.push({ kind: 'pm2-app', app });
  }
  // the regexes below are only tried on events that hold their literal (includes() is cheap)
  const ws = (all || (hot & WS) !== 0) && first.includes('"WebSocket ') ? WS_ACCESS.exec(first) : null;
  if (ws?.groups) {
    out.push({ kind: 'ws-access', peer: ws.groups.peer ?? '', path: (ws.groups.path ?? '').split('?')[0] ?? '', status: ws.groups.status ?? '' });
  }
  const error = all || (hot & ERROR) !== 0 ? errorLine(text) : undefined;
  if (error !== undefined) out.push({ kind: 'error', text: error });
  if ((all || (hot & POOL) !== 0) && POOL_WORD.test(first)) {
    const settings: Record<string, number> = {};
    for (const m of first.matchAll(POOL_KEYS)) {
      const key = m.groups?.key;
      if (key !== undefined) settings[key] = Number(m.groups?.value);
    }
    if (Object.keys(settings).length > 0) out.push({ kind: 'pool', settings });
  }
  return out;
}
