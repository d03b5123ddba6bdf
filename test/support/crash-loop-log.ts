// A generated crash-loop log for checking the repeated-line fast path against the slow one: the
// real messages of error-catalogue.md repeated with only the time changing, mixed with what must
// not be taken for a repeat — the same message under another timestamp shape or prefix, followed
// by a stack or a blank line, one character off, CRLF, non-ASCII, JSON, no timestamp, an invalid
// date, a line too long for the fast path. Deterministic for a seed.

/** mulberry32: small, seedable, good enough to shuffle test input. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (t: number): string => new Date(t).toISOString().slice(0, 19);

/** `lines` lines (a few more when an event brings its stack), `\n`-terminated. */
export function crashLoopLog(seed: number, lines: number): string {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
  let t = Date.parse('2026-11-20T00:00:00Z');
  const out: string[] = [];
  const repeated = [
    () => `Error: listen EADDRINUSE: address already in use :::${pick([3000, 3001, 5077])}`,
    () => `PM2 log: App [api:${pick([0, 1])}] exited with code [1] via signal [SIGINT]`,
    () => 'Error: Connection terminated due to connection timeout',
    () => 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    () => "⨯ [Error: ENOENT: no such file or directory, open '/app/.next/server/app/page.js']",
    () => 'sqlalchemy.exc.TimeoutError: QueuePool limit of size 2 overflow 0 reached, connection timed out, timeout 0.50',
  ];
  const stack = ['    at Client._connectionCallback (/app/node_modules/pg/lib/client.js:132:73)', '    at Socket.emit (node:events:519:28)'];
  while (out.length < lines) {
    // mostly a few ms apart (many lines a second), sometimes seconds, now and then back in time
    t += r() < 0.9 ? Math.floor(r() * 40) : r() < 0.95 ? Math.floor(r() * 5000) : -Math.floor(r() * 3000);
    const msg = pick(repeated)();
    const ts = iso(t);
    const v = r();
    if (v < 0.7) out.push(`${ts}: ${msg}`);
    else if (v < 0.74) out.push(`${ts}: ${msg}`, ...stack.map((s) => `${ts}: ${s}`));
    else if (v < 0.76) out.push(`${ts}: ${msg}`, '');
    else if (v < 0.78) out.push(`${ts.replace('T', ' ')}: ${msg}`);
    else if (v < 0.8) out.push(`${new Date(t).toISOString()}: ${msg}`);
    else if (v < 0.81) out.push(`${ts.replace('T', ' ')} +00:00: ${msg}`);
    else if (v < 0.82) out.push(`${ts}+02:00: ${msg}`);
    else if (v < 0.84) out.push(`0|api      | ${ts}: ${msg}`);
    else if (v < 0.86) out.push(`1|worker   | ${ts}: ${msg}`);
    else if (v < 0.87) out.push(`${ts} 0|api      | ${msg}`);
    else if (v < 0.88) out.push(`${ts}: ${msg} `);
    else if (v < 0.89) out.push(`${ts}: ${msg.toLowerCase()}`);
    else if (v < 0.9) out.push(`${ts}: ${msg}0`);
    else if (v < 0.91) out.push(`${ts}: ${msg}\r`);
    else if (v < 0.92) out.push(msg);
    else if (v < 0.93) out.push(`2026-13-45T${ts.slice(11)}: ${msg}`);
    else if (v < 0.94) out.push(`${ts}: ${msg} ${'x'.repeat(600)}`);
    else if (v < 0.95) out.push(`${ts}: {"level":50,"time":${t},"pid":4242,"msg":"${msg.replace(/"/g, "'")}"}`);
    else if (v < 0.96) out.push(`${ts}: (node:4242) UnhandledPromiseRejectionWarning: ${msg}`);
    else if (v < 0.97) out.push(`${ts}: ${msg}`, `${ts}: Error: Connection terminated unexpectedly`);
    else out.push(`${ts}: GET /api/health 200 in ${Math.floor(r() * 9)}ms`);
  }
  return `${out.join('\n')}\n`;
}
