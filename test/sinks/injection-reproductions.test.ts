// The reproductions of issue 6 ("shell and argument injection"), each through the real pipeline:
// log lines a stranger can write → analyze → the Markdown report and the JSON a person reads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult, Incident } from '../../src/model.js';
import { analyze } from '../../src/pipeline/analyze.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { toJsonDocument } from '../../src/sinks/json.js';
import { renderReports } from '../../src/sinks/markdown-report.js';
import { looksLikeCommand } from '../../src/sinks/report-commands.js';
import { codeIn, StubShell } from '../support/paste-in-bash.js';

let dir: string;
let shell: StubShell;
const PROGRAMS = ['pm2', 'ss', 'lsof', 'nc', 'node', 'curl', 'ps', 'grep', 'rm', 'pnpm', 'cat', 'pkill', 'systemctl', 'docker', 'tail', 'dmesg', 'head', 'wc', 'ln', 'free', 'tee', 'sudo', 'sysctl'];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-inject-'));
  shell = new StubShell(path.join(dir, 'shell'), PROGRAMS);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(name: string, lines: string[], extraRules: string[] = []): Promise<{ result: AnalysisResult; incident: (rule: string) => Incident; markdown: (rule: string) => string; json: string }> {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'app-out.log');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const result = await analyze({ paths: [file], rules: loadRules({ extra: extraRules }) });
  const pages = renderReports(result, { generatedAt: new Date(0) }).incidents;
  const incident = (rule: string): Incident => {
    const found = result.incidents.find((i) => i.rule === rule);
    if (!found) throw new Error(`no ${rule} incident in ${result.incidents.map((i) => i.rule).join(', ')}`);
    return found;
  };
  const markdown = (rule: string): string => pages.find((p) => p.id === incident(rule).id)?.markdown ?? '';
  return { result, incident, markdown, json: JSON.stringify(toJsonDocument(result)) };
}

/** Paste every code block and span of the report's remediation part into bash: no marker file may appear. */
function pasteReport(markdown: string, marker: string): string[][] {
  const start = markdown.indexOf('## Remediation');
  const pieces = codeIn(markdown.slice(start)).map((p) => p.text);
  const { calls } = shell.paste(pieces);
  expect(fs.existsSync(marker)).toBe(false);
  return calls;
}

/** Commands that would run when pasted (not commented out). */
function live(commands: string[]): string[] {
  return commands.filter((c) => looksLikeCommand(c) && !c.trimStart().startsWith('#'));
}

describe('issue 6 reproductions', () => {
  it('a JSON service name with backticks does not reach `pm2 reload` in next-build-missing', async () => {
    const marker = path.join(dir, 'x1');
    const service = `\`touch ${marker}\`; rm -rf ~ #`;
    // PM2's JSON log format (`app_name`): the app runs under PM2, so the report suggests `pm2 reload`
    const r = await run('json-service', [JSON.stringify({ time: '2026-01-01T00:01:00Z', app_name: service, message: "Error: ENOENT: no such file or directory, open '/srv/app/.next/BUILD_ID'" })]);
    const inc = r.incident('next-build-missing');
    expect(inc.services).toEqual([service]);
    const atomic = inc.remediations[2];
    expect(atomic?.detail).toContain('# test -f .next/BUILD_ID && ln -sfn /srv/app/releases/$REV /srv/app/current && pm2 reload <app>');
    expect(atomic?.detail).not.toContain('touch');
    expect(atomic?.notes?.[0]).toMatch(/^The app name in the log, ".u0060touch .*", is not a valid PM2 app name/);
    expect(live(inc.remediations.flatMap((x) => x.commands)).join('\n')).not.toContain('touch');
    expect(r.json).not.toMatch(/pm2 (?:reload|stop|start) `touch/);
    pasteReport(r.markdown('next-build-missing'), marker);
  });

  it("Cannot find module '$(touch /tmp/x)' gives no command substitution in module-not-found's detail", async () => {
    const marker = path.join(dir, 'x2');
    const r = await run('module', [`2026-01-01T00:01:00: Error: Cannot find module '$(touch ${marker})'`]);
    const detail = r.incident('module-not-found').remediations[0]?.detail ?? '';
    expect(detail).toContain("`# cd <exec cwd> && node -p 'require.resolve(process.argv[1])' -- <module>`");
    expect(detail).not.toContain('$(touch');
    expect(r.incident('module-not-found').remediations[0]?.notes?.[0]).toMatch(/^The module in the log, "\$\(touch .*\)", is not a module name or path/);
    pasteReport(r.markdown('module-not-found'), marker);
  });

  it('a module name that fits is passed to node as its own argument', async () => {
    const r = await run('module-ok', ["2026-01-01T00:01:00: Error: Cannot find module '@prisma/client'"]);
    expect(r.incident('module-not-found').remediations[0]?.detail).toContain("`cd <exec cwd> && node -p 'require.resolve(process.argv[1])' -- @prisma/client`");
  });

  it('a quote or newline in the app name cannot break out of the ecosystem.config.js snippets', async () => {
    const service = "api', script: '/tmp/evil.js', x: '";
    const r = await run('snippets', [
      JSON.stringify({ time: '2026-01-01T00:01:00Z', service, msg: 'Error: listen EADDRINUSE: address already in use :::3000' }),
      JSON.stringify({ time: '2026-01-01T00:01:01Z', service, msg: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' }),
    ]);
    for (const rule of ['port-in-use', 'heap-out-of-memory']) {
      const snippets = r.incident(rule).remediations.flatMap((x) => codeIn(x.detail ?? '')).flatMap((p) => p.text.split('\n')).filter((l) => /^\{.*name:/.test(l.trim()));
      expect(snippets.length).toBeGreaterThan(0);
      for (const s of snippets) {
        const object: unknown = vm.runInNewContext(`(${s})`);
        expect(object).toMatchObject({ name: '<app>' });
        expect(JSON.stringify(object)).not.toContain('evil');
      }
    }
  });

  it('a PM2 app named 0|--interpreter=/tmp/x| is not put in an option position', async () => {
    const marker = path.join(dir, 'x4');
    const r = await run('interpreter', [`0|--interpreter=${marker}| 2026-01-01T00:01:00: Error: listen EADDRINUSE: address already in use :::3000`]);
    const inc = r.incident('port-in-use');
    expect(inc.services).toEqual([`--interpreter=${marker}`]);
    const all = [...inc.remediations.flatMap((x) => x.commands), ...inc.verify];
    expect(live(all).join('\n')).not.toContain('--interpreter');
    expect(all).toContain('# pm2 restart <app>');
    expect(inc.remediations[1]?.notes?.[0]).toMatch(/starts with "-", so it would be read as an option/);
    for (const call of pasteReport(r.markdown('port-in-use'), marker)) expect(call.join(' ')).not.toContain('--interpreter');
  });

  it('a Prisma host -oProxyCommand=... is never given to nc', async () => {
    const marker = path.join(dir, 'x5');
    const line = (s: number): string => `2026-01-01T00:0${s}:00: Error: P1001: Can't reach database server at \`-oProxyCommand=touch ${marker}\`:\`5432\``;
    const r = await run('prisma', [line(1), line(2), line(3)]);
    const inc = r.incident('connection-refused');
    expect(inc.remediations[0]?.commands).toContain('# nc -zv <host> 5432');
    expect(inc.verify).toContain('# nc -zv <host> 5432');
    expect(live([...inc.remediations.flatMap((x) => x.commands), ...inc.verify]).join('\n')).not.toContain('ProxyCommand');
    for (const call of pasteReport(r.markdown('connection-refused'), marker)) expect(call.join(' ')).not.toContain('ProxyCommand');
  });

  it('a PM2 app named 0|/tmp/evil.js| is not started as a script', async () => {
    const r = await run('evil-js', ["0|/tmp/evil.js| 2026-01-01T00:01:00: Error: ENOENT: no such file or directory, open '/srv/app/.next/BUILD_ID'"]);
    const inc = r.incident('next-build-missing');
    expect(inc.remediations[1]?.commands).toEqual(['# pm2 stop <app>', 'rm -rf .next && pnpm build', 'test -f .next/BUILD_ID && cat .next/BUILD_ID', '# pm2 start <app>']);
    expect(inc.remediations[1]?.notes?.[0]).toMatch(/"\/tmp\/evil\.js", is a path where a valid PM2 app name is expected/);
    expect(r.markdown('next-build-missing')).toContain('⚠ Not filled in: The app name in the log');
    expect(r.json).not.toContain('pm2 start /tmp/evil.js');
  });

  it("duplicate-process prints the rule author's commands as written", async () => {
    const ps = fs.readFileSync('fixtures/seed-000-duplicate-dev-processes/ps-aux.txt', 'utf8').split('\n');
    const r = await run('dup', ps);
    const commands = r.result.incidents.filter((i) => i.rule === 'duplicate-process').flatMap((i) => i.remediations[1]?.commands ?? []);
    expect(commands).toContain('pkill -f "tsx watch"');
    expect(commands).toContain('pkill -f "(pnpm|npm|yarn)( run)? dev"');
    expect(commands.join('\n')).not.toMatch(/'pkill/);
  });

  it('a long command is shown whole, never cut inside the fence; a 10 kB value is refused', async () => {
    const rules = path.join(dir, 'long-rules');
    fs.mkdirSync(rules, { recursive: true });
    fs.writeFileSync(
      path.join(rules, 'long.yaml'),
      `id: long-path
title: Long path
severity: warning
match:
  - regex: 'UPLOAD FAILED (?<path>[^\\n]+)'
diagnosis: x
remediation:
  - title: Look at the file
    commands:
      - "grep -c -E '${'(timeout|refused|reset)'.repeat(12)}' {{arg path}} | tee /dev/null"
      - ls -l {{arg path}}
examples:
  match: ['UPLOAD FAILED /srv/x']
  no_match: ['UPLOAD OK']
`,
    );
    const long = `/srv/uploads/${'d'.repeat(300)}/it's here.bin`.replace("'", '');
    const huge = `/srv/${'e'.repeat(10_240)}`;
    const r = await run('long', [`2026-01-01T00:01:00: UPLOAD FAILED ${long}`, `2026-01-02T00:01:00: UPLOAD FAILED ${huge}`], [rules]);
    const [first, second] = r.result.incidents.filter((i) => i.rule === 'long-path');
    const pages = renderReports(r.result, { generatedAt: new Date(0) }).incidents.map((p) => p.markdown);
    // evidence may be cut (it is not pasted); nothing after "## Remediation" is
    const markdown = pages.map((p) => p.slice(p.indexOf('## Remediation'))).join('\n');
    expect(markdown).not.toContain('…[+');
    const command = first?.remediations[0]?.commands[0] ?? '';
    expect(command.length).toBeGreaterThan(400);
    expect(markdown).toContain(command);
    expect(second?.remediations[0]?.commands[1]).toBe('# ls -l <path>');
    expect(second?.remediations[0]?.notes?.[0]).toMatch(/is 10245 characters long, too long for a file path/);
    const calls = shell.paste([codeIn(markdown).map((p) => p.text).join('\n')]).calls;
    expect(calls.filter((c) => c[0] === 'grep').map((c) => c.at(-1))).toEqual([long]);
  });
});
