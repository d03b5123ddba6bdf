// Paste text from reports into a real bash, as a person would, with every program the rules name
// replaced by a stub that only records its argv. Used by the hostile-value tests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Piece {
  /** `fence`: a bash block of commands/verify/prevent (must parse); `code`: code in a detail; `span`: inline code. */
  kind: 'fence' | 'code' | 'span';
  text: string;
  lang: string;
}

/** Code blocks (fenced or indented) and inline code spans of Markdown text. */
export function codeIn(markdown: string): Piece[] {
  const out: Piece[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = /^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$/.exec(line);
    if (open) {
      const fence = open[1] ?? '```';
      const body: string[] = [];
      const indent = /^\s*/.exec(line)?.[0] ?? '';
      for (i++; i < lines.length && !(lines[i] ?? '').trim().startsWith(fence); i++) body.push((lines[i] ?? '').slice(indent.length));
      out.push({ kind: open[2] === 'bash' ? 'fence' : 'code', text: body.join('\n'), lang: open[2] ?? '' });
      continue;
    }
    if (/^(?: {4}|\t)\S/.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && /^(?: {4}|\t)|^\s*$/.test(lines[i] ?? ''); i++) body.push((lines[i] ?? '').replace(/^(?: {4}|\t)/, ''));
      i--;
      out.push({ kind: 'code', text: body.join('\n').trim(), lang: '' });
      continue;
    }
    for (const m of line.matchAll(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g)) out.push({ kind: 'span', text: (m[2] ?? '').trim(), lang: '' });
  }
  return out;
}

export class StubShell {
  readonly root: string;
  readonly stubs: string;
  readonly home: string;
  readonly work: string;
  readonly record: string;

  constructor(root: string, programs: Iterable<string>) {
    this.root = root;
    this.stubs = path.join(root, 'stubs');
    this.home = path.join(root, 'home');
    this.work = path.join(root, 'work');
    this.record = path.join(root, 'argv.rec');
    for (const d of [this.stubs, this.home, this.work]) fs.mkdirSync(d, { recursive: true });
    for (const p of programs) {
      const file = path.join(this.stubs, p);
      // argv, NUL-separated, one record per call ended by RS NUL (\036\0), in ONE printf: the
      // members of a pipeline run at once, and two writes per record interleaved under load
      fs.writeFileSync(file, `#!/bin/sh\nprintf '%s\\0' "$(basename "$0")" "$@" "$(printf '\\036')" >> "$IA_RECORD"\n`);
      fs.chmodSync(file, 0o755);
    }
  }

  /** Run each piece in its own subshell of one bash; stderr is split per piece. */
  paste(pieces: string[]): { calls: string[][]; stderr: string[] } {
    fs.writeFileSync(this.record, '');
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = [
      'kill() { "$IA_STUBS/kill" "$@"; }',
      ...pieces.map((p, i) => `echo "@@piece ${i}" >&2\n( eval ${q(p)} ) </dev/null >/dev/null`),
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
      cwd: this.work,
      env: { PATH: `${this.stubs}:/usr/bin:/bin`, HOME: this.home, IA_RECORD: this.record, IA_STUBS: this.stubs, LC_ALL: 'C.UTF-8' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const stderr: string[] = pieces.map(() => '');
    let current = -1;
    for (const line of (r.stderr ?? '').split('\n')) {
      const m = /^@@piece (\d+)$/.exec(line);
      if (m) current = Number(m[1]);
      else if (current >= 0) stderr[current] += `${line}\n`;
    }
    const raw = fs.readFileSync(this.record, 'utf8');
    const calls = raw
      .split('\u001e\0')
      .filter((c) => c !== '')
      .map((c) => c.split('\0').slice(0, -1));
    return { calls, stderr };
  }
}

/** Program names at command positions in shell text (first word after |, ;, &&, ||, $( and ( ). */
export function programsIn(text: string): string[] {
  const out = new Set<string>();
  for (const part of text.split(/\|\||&&|[|;(`\n]|\$\(/)) {
    const word = /^\s*(?:[A-Z_]+=\S*\s+)*([a-z][\w.-]*)/.exec(part)?.[1];
    if (word) out.add(word);
  }
  return [...out];
}
