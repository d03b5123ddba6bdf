// ESLint RuleTester-style check of every rule's pasteable text: render each built-in rule (and a
// test rule using every capture type) with hostile values in every capture, take every command as
// it appears in the Markdown report and in the JSON, paste it into a real bash whose programs are
// stubs that record their argv, and check that no payload ran and no value became an option or
// split into several arguments.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model.js';
import { loadRuleFile, loadRules } from '../../src/rules/load-rules.js';
import type { CompiledRule } from '../../src/rules/types.js';
import { renderIncidentText } from '../../src/sinks/incident-text.js';
import { toJsonIncident } from '../../src/sinks/json.js';
import { renderReports } from '../../src/sinks/markdown-report.js';
import { looksLikeCommand } from '../../src/sinks/report-commands.js';
import { codeIn, type Piece, programsIn, StubShell } from '../support/paste-in-bash.js';

let root: string;
let marker: string;
let shell: StubShell;
let rules: CompiledRule[];

const TYPED_RULE = `id: typed-values
title: Every capture type in commands
severity: warning
captures: { user: word, target_url: url, module: module }
match:
  - regex: 'QUOTA (?<user>\\S+) (?<path>\\S+) (?<target_url>\\S+) (?<module>\\S+) (?<address>\\S+) (?<port>\\d+) (?<signal>SIG\\w+)'
diagnosis: 'Quota for {{user}}'
remediation:
  - title: Look
    commands:
      - tail -n 5 {{arg path}}
      - curl -fsS {{arg target_url}} | head -n 3
      - getent passwd {{#each values.user}}{{arg this}} {{/each}}
      - nc -zv {{arg address}} {{arg port}}
      - node -p 'require.resolve(process.argv[1])' -- {{arg module}}
      - pm2 describe {{arg service}} && pm2 sendSignal {{arg signal}} {{arg service}}
      - ps -o pid,args -p {{arg pid}}
    detail: |-
      Or by hand:

          tail -n 5 ~/.pm2/logs/{{arg service}}-error.log {{arg path}}

      then \`ls -l {{arg path}}\`; in ecosystem.config.js:

          { name: {{js service}}, cwd: {{js path}}, env: { URL: {{js target_url}} } }
verify:
  - pm2 logs {{arg service}} --nostream | grep -c QUOTA
examples:
  match: ['QUOTA bob /srv/x http://a/b left-pad 127.0.0.1 5432 SIGTERM']
  no_match: ['QUOTA']
`;

function hostileValues(m: string): string[] {
  const junk = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');
  return [
    `\`touch ${m}/pwned\`Zq1`,
    `$(touch ${m}/pwned)Zq2`,
    `api; touch ${m}/pwned Zq3`,
    `api && touch ${m}/pwned Zq4`,
    `api | touch ${m}/pwned Zq5`,
    `api\ntouch ${m}/pwned Zq6`,
    `it's'; touch ${m}/pwned; 'Zq7`,
    `a"; touch ${m}/pwned; "Zq8`,
    `-oProxyCommand=touch ${m}/pwnedZq9`,
    `--interpreter=${m}/evilZq10.js`,
    `${m}/evilZq11.js`,
    `Zq12${'A'.repeat(10240)}$(touch ${m}/pwned)`,
    `\u202eZq13 sj.live`,
    `${junk}$(touch ${m}/pwned)Zq14`,
    // values that fit some types and need quoting, or are long: they must arrive whole
    `/srv/my app/x (1)Zq15.js`,
    `/srv/${'a'.repeat(990)}Zq16`,
    `Zq17-app`,
  ];
}

function tokenOf(value: string): string {
  return /Zq\d+/.exec(value)?.[0] ?? '';
}

function incident(rule: CompiledRule, set: Record<string, string>, value: string): Incident {
  const captures: Record<string, string> = { ...set };
  for (const name of Object.keys(rule.captures.types)) captures[name] = value;
  const captureValues = Object.fromEntries(Object.entries(captures).map(([k, v]) => [k, [v]]));
  return {
    id: `${rule.spec.id}-0123456789`,
    rule: rule.spec.id,
    title: rule.spec.title,
    severity: rule.spec.severity,
    status: 'open',
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-01T00:05:00.000Z',
    count: 3,
    services: [value],
    files: ['logs/app-out.log'],
    groupKey: value,
    captures,
    captureValues,
    evidence: [{ file: 'logs/app-out.log', line: 1, text: 'x', time: '2026-01-01T00:00:00.000Z' }],
    summary: '',
    rootCause: '',
    remediations: [],
    verify: [],
    prevent: [],
    links: [],
    timeApprox: false,
  };
}

/** Everything pasteable in one rendered incident: the Markdown page and the JSON. */
function pasteable(rendered: Incident): Piece[] {
  const pieces: Piece[] = [];
  const page = renderReports({ incidents: [rendered], stats: { files: 1, lines: 1, bytes: 1, events: 1, matches: 1, durationMs: 1, skipped: [], empty: 0, truncatedLines: 0, approximateTimes: false }, files: ['logs/app-out.log'] }, { generatedAt: new Date(0) }).incidents[0]?.markdown ?? '';
  const start = page.indexOf('## Remediation');
  const end = page.indexOf('\n---\n', start);
  pieces.push(...codeIn(page.slice(start, end)));
  const json: unknown = JSON.parse(JSON.stringify(toJsonIncident(rendered)));
  if (typeof json !== 'object' || json === null || !('remediations' in json) || !Array.isArray(json.remediations)) throw new Error('no remediations in the JSON');
  for (const r of rendered.remediations) {
    if (r.commands.length > 0) pieces.push({ kind: 'fence', text: r.commands.join('\n'), lang: 'bash' });
    for (const c of r.commands) pieces.push({ kind: 'fence', text: c, lang: 'bash' });
    if (r.detail) pieces.push(...codeIn(r.detail));
  }
  expect(json.remediations).toEqual(JSON.parse(JSON.stringify(rendered.remediations)));
  for (const item of [...rendered.verify, ...rendered.prevent]) if (looksLikeCommand(item)) pieces.push({ kind: 'fence', text: item, lang: 'bash' });
  return pieces;
}

/** JS object literals in snippets: every string holding the value is the value itself, or a placeholder. */
function checkSnippets(pieces: Piece[], value: string): void {
  const token = tokenOf(value);
  for (const p of pieces) {
    for (const line of p.text.split('\n')) {
      if (!/^\s*\{.*\}\s*$/.test(line) || !/\bname:/.test(line)) continue;
      const strings: string[] = [];
      const walk = (v: unknown): void => {
        if (typeof v === 'string') strings.push(v);
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(vm.runInNewContext(`(${line})`));
      for (const s of strings) if (s.includes(token) || /^<\w+>$/.test(s)) expect([value, '<app>', '<path>', '<url>']).toContain(s);
    }
  }
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-paste-'));
  marker = path.join(root, 'marker');
  fs.mkdirSync(marker);
  fs.writeFileSync(path.join(root, 'typed.yaml'), TYPED_RULE);
  rules = [...loadRules(), loadRuleFile(path.join(root, 'typed.yaml'))];
  const programs = new Set<string>(['pm2', 'ss', 'lsof', 'nc', 'node', 'curl', 'psql', 'pkill', 'rm', 'kill']);
  for (const r of rules) {
    for (const text of [...r.spec.remediation.flatMap((x) => [...x.commands, x.detail ?? '']), ...r.spec.verify, ...r.spec.prevent]) {
      for (const p of programsIn(text)) programs.add(p);
    }
  }
  // shell keywords and builtins stay bash's; `touch` stays real: it is how a payload would show
  for (const keep of ['for', 'do', 'done', 'if', 'then', 'fi', 'echo', 'printf', 'test', 'cd', 'true', 'false', 'exit', 'set', 'export', 'read', 'touch']) programs.delete(keep);
  shell = new StubShell(root, programs);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('hostile log values in every rule', () => {
  it('never run a payload, never become an option, never split, in Markdown and JSON alike', () => {
    const values = hostileValues(marker);
    let pasted = 0;
    const arrived = new Set<string>();
    for (const rule of rules) {
      // one variant per distinct `set:` (they choose template branches), deduplicated
      const variants = [...new Map([{}, ...rule.spec.match.map((p) => p.set ?? {})].map((v) => [JSON.stringify(v), v])).values()];
      for (const value of values) {
        const token = tokenOf(value);
        const pieces = new Map<string, Piece>();
        for (const set of variants) {
          const rendered = renderIncidentText(incident(rule, set, value), rule);
          const found = pasteable(rendered);
          checkSnippets(found, value);
          for (const p of found) if (p.text.includes(token)) pieces.set(`${p.kind}\0${p.text}`, p);
        }
        if (pieces.size === 0) continue;
        const list = [...pieces.values()];
        const { calls, stderr } = shell.paste(list.map((p) => p.text));
        pasted += list.length;
        const where = `${rule.spec.id} with ${JSON.stringify(value.slice(0, 40))}`;
        expect(fs.readdirSync(marker), `payload ran: ${where}`).toEqual([]);
        list.forEach((p, i) => {
          if (p.kind === 'fence') expect(stderr[i] ?? '', `${where}: ${p.text}`).not.toMatch(/syntax error|unexpected EOF/);
        });
        for (const call of calls) {
          for (const arg of call.slice(1)) {
            if (!arg.includes(token)) continue;
            expect(arg.includes(value), `${where}: value split in ${JSON.stringify(call)}`).toBe(true);
            expect(arg.startsWith('-'), `${where}: value as an option in ${JSON.stringify(call)}`).toBe(false);
            arrived.add(token);
          }
        }
      }
    }
    expect(pasted).toBeGreaterThan(0);
    // the values that fit their types reached the programs whole (quoted where needed)
    expect([...arrived].sort()).toEqual(expect.arrayContaining(['Zq11', 'Zq15', 'Zq16', 'Zq17']));
  }, 240_000);
});
