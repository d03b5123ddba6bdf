// Waiting on real child processes (the CLI, writers, servers) in tests: the few helpers every
// watch/sink test needs, kept in one place.
import type { ChildProcess } from 'node:child_process';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it holds or `ms` have passed; the last answer is returned. */
export async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

/** The child's exit code (null when a signal ended it), once it has exited. */
export function exited(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
  return new Promise((resolve) => c.once('exit', (code) => resolve(code)));
}

/**
 * Collects a child's stdout as JSON lines (`--format json`) and its stderr as text, as they
 * arrive. The returned array fills while the child runs.
 */
export function readOutput<T>(child: ChildProcess): { lines: T[]; stderr: () => string } {
  const lines: T[] = [];
  let buf = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { lines, stderr: () => err };
}
