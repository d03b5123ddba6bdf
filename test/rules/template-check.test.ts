// The loader refuses a rule that writes a log value into pasteable text without {{arg}} / {{js}}
// (RuleTester style: valid and invalid rule texts, with the message and the line).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRuleFile, RuleError } from '../../src/rules/load-rules.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-tcheck-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A rule file whose remediation (from line 9 on) is `body`. */
function rule(body: string, captures = ''): string {
  return `id: quota
title: Quota exceeded
severity: warning
match:
  - regex: 'QUOTA_EXCEEDED user=(?<user>\\S+) path=(?<path>\\S+) port=(?<port>\\d+)'
    set: { fix: 'quota -u "$USER"' }
diagnosis: 'User {{user}} is over quota'
${captures}
${body}
examples:
  match: ['QUOTA_EXCEEDED user=bob path=/x port=1']
  no_match: ['QUOTA fine']
`;
}

let n = 0;
function load(text: string): RuleError | undefined {
  const file = path.join(dir, `r${n++}.yaml`);
  fs.writeFileSync(file, text);
  try {
    loadRuleFile(file);
    return undefined;
  } catch (err) {
    if (err instanceof RuleError) return err;
    throw err;
  }
}

const valid: Array<[string, string, string?]> = [
  ['a typed capture through arg', `remediation:\n  - title: t\n    commands: ['pm2 describe {{arg service}}', 'ss -ltn sport = :{{arg port}}', 'tail -n 5 {{arg path}}']`],
  ['each over a declared list', `remediation:\n  - title: t\n    commands: ['getent passwd {{#each values.user}}{{arg this}} {{/each}}']`, 'captures: { user: word }'],
  ['a set-only constant as the author wrote it', `remediation:\n  - title: t\n    commands: ['{{fix}}']`],
  ['js in a detail snippet, count and @index raw', `remediation:\n  - title: t\n    detail: "{ name: {{js service}}, n: {{count}} }"\nverify: ['{{#each values.port}}{{@index}}: nc -zv 127.0.0.1 {{arg this}}{{/each}}']`],
  ['arg inside a command substitution', `verify: ['ls /proc/$(pm2 pid {{arg service}} | head -n1)/fd']`],
  ['prose texts print values as text', `summary: '{{user}} at {{path}}'`],
];

const invalid: Array<[string, string, RegExp, number, string?]> = [
  ['a raw capture in a command', `remediation:\n  - title: t\n    commands:\n      - 'pm2 describe {{service}}'`, /remediation\.0\.commands\.0: \{\{service\}\} puts a value from the log into a command unquoted; write \{\{arg service\}\}/, 12],
  ['a triple-stash', `verify: ['pm2 logs {{{service}}}']`, /\{\{\{service\}\}\} puts a value/, 9],
  ['the issue: each values.user with a raw this', `remediation:\n  - title: t\n    commands: ['echo {{#each values.user}}{{this}}{{/each}}']`, /\{\{this\}\} puts a value from the log into a command unquoted; write \{\{arg this\}\}/, 11],
  ['free text through arg', `remediation:\n  - title: t\n    commands: ['getent passwd {{arg user}}']`, /"user" is free text, which never enters a command; .*captures: \{ user: word \}/, 11],
  ['arg inside quotes', `verify: ["grep -c 'user {{arg port}}' x.log"]`, /inside quotes: \{\{arg\}\} writes its own quotes/, 9],
  ['a value as the program', `verify: ['ls | {{arg path}} -x']`, /would be the program to run/, 9],
  ['js in a command', `verify: ['node -e "x({{js service}})"']`, /\{\{js x\}\} is for JavaScript snippets/, 9],
  ['a raw capture in a detail snippet', `remediation:\n  - title: t\n    detail: |-\n      In ecosystem.config.js:\n\n          { name: '{{service}}' }`, /remediation\.0\.detail: \{\{service\}\} puts a value from the log into pasteable text unquoted; write \{\{arg service\}\} in shell code or \{\{js service\}\} in a JS snippet/, 14],
  ['a list through arg', `verify: ['kill {{arg values.pid}}']`, /is a list; write \{\{#each values\.pid\}\}\{\{arg this\}\}\{\{\/each\}\}/, 9],
  ['a type for a capture that does not exist', `verify: ['x']`, /captures\.usr: not a capture of this rule/, 8, 'captures: { usr: word }'],
  ['an unknown type', `verify: ['x']`, /captures\.user/, 8, 'captures: { user: username }'],
];

describe('pasteable rule texts', () => {
  for (const [name, body, captures] of valid) {
    it(`accepts ${name}`, () => expect(load(rule(body, captures ?? ''))?.message).toBeUndefined());
  }
  for (const [name, body, message, line, captures] of invalid) {
    it(`refuses ${name}, naming the line`, () => {
      const err = load(rule(body, captures ?? ''));
      expect(err?.message).toMatch(message);
      expect(err?.line).toBe(line);
    });
  }

  it('rules lint fails a user rule with {{#each values.user}}{{this}}{{/each}} in one line naming file and line', () => {
    const folder = path.join(dir, 'lint');
    fs.mkdirSync(folder);
    const file = path.join(folder, 'quota.yaml');
    fs.writeFileSync(file, rule(`remediation:\n  - title: t\n    commands: ['echo {{#each values.user}}{{this}}{{/each}}']`));
    const bin = path.resolve('bin/incident-analyser.js');
    const r = spawnSync(process.execPath, [bin, 'rules', 'lint', folder], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^incident-analyser: .*quota\.yaml:11: remediation\.0\.commands\.0: \{\{this\}\} .*write \{\{arg this\}\}/)]);
    const analyze = spawnSync(process.execPath, [bin, 'analyze', '--rules', folder, file], { encoding: 'utf8' });
    expect(analyze.status).toBe(2);
    expect(analyze.stderr).toMatch(/quota\.yaml:11: /);
  });
});
