import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRuleFile, loadRules } from '../../src/rules/load-rules.js';
import { ruleErrorOf } from '../support/rule-error.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-rules-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const VALID = `id: my-rule
title: My rule
severity: warning
match:
  - regex: 'disk quota exceeded for (?<user>\\w+)'
group_by: [user]
diagnosis: 'User {{user}} is over quota'
examples:
  match: ['disk quota exceeded for bob']
  no_match: ['disk quota fine']
`;

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}


describe('loadRuleFile', () => {
  it('compiles a valid rule', () => {
    const rule = loadRuleFile(write('ok.yaml', VALID));
    expect(rule.spec.id).toBe('my-rule');
    expect(rule.patterns[0]?.literals).toEqual(['disk quota exceeded for ']);
    expect(rule.captures).toEqual({ types: { service: 'app', pid: 'pid', user: 'text' }, constants: [] });
  });

  it('names file, line and field for an unknown key', () => {
    const err = ruleErrorOf(() => loadRuleFile(write('typo.yaml', VALID.replace('group_by:', 'groupby:'))));
    expect(err.message).toMatch(/typo\.yaml/);
    expect(err.message).toMatch(/groupby/);
  });

  it('names the line of a bad regex', () => {
    const err = ruleErrorOf(() => loadRuleFile(write('re.yaml', VALID.replace("'disk quota exceeded for (?<user>\\w+)'", "'disk (quota'"))));
    expect(err.line).toBe(5);
    expect(err.message).toMatch(/re\.yaml:5: match\.0\.regex/);
  });

  it('names the line of broken YAML', () => {
    const err = ruleErrorOf(() => loadRuleFile(write('bad.yaml', `${VALID}\n  - : [\n`)));
    expect(err.message).toMatch(/bad\.yaml:\d+: invalid YAML/);
  });

  it('rejects group_by keys that are not captures', () => {
    const err = ruleErrorOf(() => loadRuleFile(write('g.yaml', VALID.replace('group_by: [user]', 'group_by: [tenant]'))));
    expect(err.message).toMatch(/"tenant" is not service, file, pid or a capture/);
  });

  it('rejects a bad template', () => {
    const err = ruleErrorOf(() => loadRuleFile(write('t.yaml', VALID.replace("'User {{user}} is over quota'", "'User {{#if user}} open'"))));
    expect(err.message).toMatch(/diagnosis: bad template/);
  });
});

describe('loadRules', () => {
  it('lets a user rule with a built-in id replace it, and says which', () => {
    const builtin = loadRules();
    const id = builtin[0]?.spec.id;
    if (!id) return; // no built-in rules yet
    write('override.yaml', VALID.replace('id: my-rule', `id: ${id}`));
    const merged = loadRules({ extra: [dir] });
    const rule = merged.find((r) => r.spec.id === id);
    expect(merged).toHaveLength(builtin.length);
    expect(rule?.builtin).toBe(false);
    expect(rule?.overrides).toBe(builtin[0]?.file);
  });

  it('refuses two files with the same id in one folder', () => {
    write('a.yaml', VALID);
    write('b.yaml', VALID);
    expect(() => loadRules({ extra: [dir], noBuiltin: true })).toThrow(/also defined in/);
  });

  it('says when a rules folder does not exist', () => {
    expect(() => loadRules({ extra: [path.join(dir, 'nope')] })).toThrow(/rules folder not found/);
  });
});
