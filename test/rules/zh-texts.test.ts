// The zh: block of a rule file: validated by the rule schema, aligned with the English lists,
// commands shared (not repeated), and held to the same rule for log values as the English texts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRuleFile, loadRules } from '../../src/rules/load-rules.js';
import { renderIncidentText } from '../../src/sinks/incident-text.js';
import type { Incident } from '../../src/model.js';
import { ruleErrorOf } from '../support/rule-error.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-zh-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const ENGLISH = `id: quota
title: Disk quota exceeded
severity: warning
match:
  - regex: 'disk quota exceeded for (?<service>[\\w-]+)'
summary: '{{service}} is over its quota'
diagnosis: 'User {{service}} is over quota'
remediation:
  - title: See who uses the space
    commands: ['du -sh /home/{{arg service}}']
    detail: 'Look at the biggest folders first.'
  - title: Raise the quota
    commands: ['setquota -u {{arg service}} 0 0 0 0 /']
verify:
  - 'quota -u {{arg service}}   # under the soft limit'
  - 'repquota -a'
  - 'Ask the user whether uploads work again.'
prevent:
  - 'Alert at 80% of the quota.'
examples:
  match: ['disk quota exceeded for bob']
  no_match: ['disk quota fine']
`;

const ZH = `zh:
  title: 磁盘配额用完
  summary: '{{service}} 超出了配额'
  diagnosis: '用户 {{service}} 超出了配额'
  remediation:
    - title: 看看空间被谁占了
      detail: 先看最大的几个目录。
    - title: 提高配额
  verify:
    - '# 低于软限制'
    - ~
    - 问一下用户上传是否恢复正常。
  prevent:
    - 配额用到 80% 时告警。
`;

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}


function incidentOf(service: string): Incident {
  return {
    id: 'quota-1',
    rule: 'quota',
    title: 'Disk quota exceeded',
    severity: 'warning',
    status: 'open',
    firstSeen: '2026-02-08T16:40:01.000Z',
    lastSeen: '2026-02-08T16:40:01.000Z',
    count: 1,
    services: [service],
    files: ['quota.log'],
    groupKey: service,
    captures: { service },
    captureValues: { service: [service] },
    evidence: [],
    summary: '',
    rootCause: '',
    remediations: [],
    verify: [],
    prevent: [],
    links: [],
    timeApprox: false,
  };
}

describe('zh: block', () => {
  it('renders the Chinese texts with the English commands: ~ keeps a command, "# …" replaces only its comment', () => {
    const rule = loadRuleFile(write('quota.yaml', ENGLISH + ZH));
    const zh = renderIncidentText(incidentOf('bob'), rule, [], 'zh');
    expect(zh.title).toBe('磁盘配额用完');
    expect(zh.summary).toBe('bob 超出了配额');
    expect(zh.rootCause).toBe('用户 bob 超出了配额');
    expect(zh.remediations.map((r) => r.title)).toEqual(['看看空间被谁占了', '提高配额']);
    expect(zh.remediations.map((r) => r.commands)).toEqual([['du -sh /home/bob'], ['setquota -u bob 0 0 0 0 /']]);
    expect(zh.remediations[0]?.detail).toBe('先看最大的几个目录。');
    expect(zh.verify).toEqual(['quota -u bob   # 低于软限制', 'repquota -a', '问一下用户上传是否恢复正常。']);
    expect(zh.prevent).toEqual(['配额用到 80% 时告警。']);
    const en = renderIncidentText(incidentOf('bob'), rule, [], 'en');
    expect(en.title).toBe('Disk quota exceeded');
    expect(en.verify[0]).toBe('quota -u bob   # under the soft limit');
  });

  it('keeps the typed-value rule in Chinese texts: a hostile value is refused, the step commented out, the note in Chinese', () => {
    const rule = loadRuleFile(write('quota.yaml', ENGLISH + ZH));
    const zh = renderIncidentText(incidentOf('$(touch /tmp/x)'), rule, [], 'zh');
    expect(zh.verify[0]).toBe('# quota -u <app>   # 低于软限制');
    expect(zh.verify[1]).toMatch(/^日志中的应用名 "\$\(touch \/tmp\/x\)" 不是合法的应用名/);
    expect(zh.remediations[0]?.commands).toEqual(['# du -sh /home/<app>']);
  });

  it('refuses lists that are not aligned with the English ones, naming the file, line and field', () => {
    const file = write('quota.yaml', ENGLISH + ZH.replace("    - 配额用到 80% 时告警。\n", "    - 配额用到 80% 时告警。\n    - 多出来的一条。\n"));
    const err = ruleErrorOf(() => loadRuleFile(file));
    expect(err.message).toMatch(/quota\.yaml:\d+: zh\.prevent: has 2 item\(s\) but the English prevent has 1; the lists are aligned by index/);
    // the line of the list's first item (the node the message is about), 1-based
    expect(err.line).toBe(ENGLISH.split('\n').length + ZH.split('\n').findIndex((l) => l.startsWith('  prevent:')) + 1);
  });

  it('refuses a detail where the English step has none, and a missing summary', () => {
    const extraDetail = write('a.yaml', ENGLISH + ZH.replace('    - title: 提高配额\n', '    - title: 提高配额\n      detail: 多余的说明\n'));
    expect(ruleErrorOf(() => loadRuleFile(extraDetail)).message).toMatch(/zh\.remediation\.1\.detail: the English step has no detail/);
    const noSummary = write('b.yaml', ENGLISH + ZH.replace("  summary: '{{service}} 超出了配额'\n", ''));
    expect(ruleErrorOf(() => loadRuleFile(noSummary)).message).toMatch(/zh\.summary: missing: the English rule has a summary/);
  });

  it('refuses "# …" on an English item that has no comment to replace', () => {
    const file = write('quota.yaml', ENGLISH + ZH.replace('    - ~\n', "    - '# 全部列出'\n"));
    expect(ruleErrorOf(() => loadRuleFile(file)).message).toMatch(/zh\.verify\.1: "# …" replaces the comment of a command, but the English item has none: "repquota -a"/);
  });

  it('applies the load-time template check to Chinese texts: a raw log value in a verify step or a code snippet is refused', () => {
    const rawVerify = write('a.yaml', ENGLISH + ZH.replace('    - 问一下用户上传是否恢复正常。\n', "    - 'quota -u {{service}}'\n"));
    expect(ruleErrorOf(() => loadRuleFile(rawVerify)).message).toMatch(/zh\.verify\.2: \{\{service\}\} puts a value from the log into a command unquoted; write \{\{arg service\}\} instead/);
    const rawDetail = write('b.yaml', ENGLISH + ZH.replace('      detail: 先看最大的几个目录。\n', "      detail: '先看 `du -sh /home/{{service}}`'\n"));
    expect(ruleErrorOf(() => loadRuleFile(rawDetail)).message).toMatch(/zh\.remediation\.0\.detail: \{\{service\}\} puts a value from the log into pasteable text unquoted/);
  });

  it('refuses unknown keys in the block (strict schema), naming the field', () => {
    const file = write('quota.yaml', `${ENGLISH + ZH}  commands: ['rm -rf /']\n`);
    expect(ruleErrorOf(() => loadRuleFile(file)).message).toMatch(/quota\.yaml:37: zh\.commands: unknown key/);
  });

  it('says a set: value in Chinese where zh.set gives it, and refuses a key that no pattern sets', () => {
    const withSet = ENGLISH.replace("  - regex: 'disk quota exceeded for (?<service>[\\w-]+)'\n", "  - regex: 'disk quota exceeded for (?<service>[\\w-]+)'\n    set: { why: 'the hard limit was reached' }\n").replace(
      "diagnosis: 'User {{service}} is over quota'",
      "diagnosis: 'User {{service}} is over quota: {{why}}'",
    );
    const zhSet = ZH.replace("  diagnosis: '用户 {{service}} 超出了配额'", "  diagnosis: '用户 {{service}} 超出了配额：{{why}}'");
    const rule = loadRuleFile(write('quota.yaml', `${withSet + zhSet}  set:\n    why:\n      'the hard limit was reached': 到了硬限制\n`));
    const incident = { ...incidentOf('bob'), captures: { service: 'bob', why: 'the hard limit was reached' } };
    expect(renderIncidentText(incident, rule, [], 'zh').rootCause).toBe('用户 bob 超出了配额：到了硬限制');
    expect(renderIncidentText(incident, rule, [], 'en').rootCause).toBe('User bob is over quota: the hard limit was reached');
    const typo = write('typo.yaml', `${withSet + zhSet}  set:\n    why:\n      'the hard limit was reachd': 到了硬限制\n`);
    const err = ruleErrorOf(() => loadRuleFile(typo));
    expect(err.message).toMatch(/typo\.yaml:\d+: zh\.set\.why: no pattern sets why to "the hard limit was reachd"/);
  });

  it('every built-in rule says its set: prose in Chinese (names and commands stay as they are)', () => {
    for (const rule of loadRules()) {
      const zh = rule.texts.zh;
      if (!zh) continue;
      const zhText = [zh.summary ?? '', zh.diagnosis].join('\n');
      for (const pattern of rule.spec.match) {
        for (const [name, value] of Object.entries(pattern.set ?? {})) {
          // prose: three or more lower-case words, shown in a Chinese sentence
          const prose = /^[a-z][a-z']* [a-z'.]+ [a-z]/i.test(value) && !/^[\w.-]+ [\w.-]+$/.test(value) && zhText.includes(`{{${name}}}`);
          if (prose) expect(zh.setValues?.[name]?.[value], `${rule.spec.id}: set.${name} '${value}'`).toMatch(/[\u4e00-\u9fff]/);
        }
      }
    }
  });

  it('every built-in rule carries Chinese texts, and its commands are the English ones', () => {
    for (const rule of loadRules()) {
      const zh = rule.texts.zh;
      expect(zh, rule.spec.id).toBeDefined();
      if (!zh) continue;
      expect(zh.remediation.map((r) => r.commands)).toEqual(rule.texts.en.remediation.map((r) => r.commands));
      expect(zh.title).toMatch(/[\u4e00-\u9fff]/);
      expect(zh.diagnosis).toMatch(/[\u4e00-\u9fff]/);
      // Chinese prose, not a copy of the English: no sentence of the English diagnosis survives
      const englishSentence = rule.texts.en.diagnosis.split(/(?<=[.:;])\s+/).find((s) => /^[A-Z][a-z]+ [a-z]+ [a-z]+ [a-z]+/.test(s));
      if (englishSentence) expect(zh.diagnosis, rule.spec.id).not.toContain(englishSentence);
    }
  });
});
