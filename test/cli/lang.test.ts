// Reports and console lines in Chinese, as users run the CLI: --lang, the locale default, the
// terminal summary under a real pseudo-terminal, and rules lint on a package copy.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/incident-analyser.js');
const CRASH_LOOP = path.join(ROOT, 'fixtures/real-pm2-crash-loop');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-lang-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The environment of a user whose locale is `locale` (no other locale variable set). */
function localeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.LC_ALL;
  delete env.LC_MESSAGES;
  delete env.LANG;
  delete env.LANGUAGE;
  return { ...env, ...extra };
}

function run(args: string[], env: NodeJS.ProcessEnv = localeEnv()): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run the CLI under a real pseudo-terminal (util-linux `script`). Its stdin stays open until the
 * command exits: `script` ends the session on end of input, before a slower child has written.
 */
function inPty(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; screen: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen: out.replace(/\r\n/g, '\n') }));
  });
}

function page(out: string, prefix: string): string {
  const name = fs.readdirSync(path.join(out, 'incidents')).find((n) => n.startsWith(prefix));
  if (!name) throw new Error(`no ${prefix} page in ${out}`);
  return fs.readFileSync(path.join(out, 'incidents', name), 'utf8');
}

/** The fenced blocks of one language of a page: evidence (text) and commands (bash, trailing comments dropped). */
function blocks(markdown: string, lang: 'text' | 'bash'): string[] {
  const found = [...markdown.matchAll(new RegExp(`^( *)(?:- )?\`\`\`${lang}\\n([\\s\\S]*?)\\n\\1\`\`\``, 'gm'))].map((m) => m[2] ?? '');
  return lang === 'bash' ? found.map((b) => b.split('\n').map((l) => l.replace(/\s+#\s.*$/, '').trim()).join('\n')) : found;
}

describe('--lang zh', () => {
  it('writes the report in Chinese: headings, rule texts and notes translated; evidence and commands untouched', () => {
    const en = path.join(dir, 'en');
    const zh = path.join(dir, 'zh');
    expect(run(['analyze', CRASH_LOOP, '--lang', 'en', '--out', en, '-q']).code).toBe(0);
    const r = run(['analyze', CRASH_LOOP, '--lang', 'zh', '--out', zh]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`incident-analyser: 已写入 9 个报告文件：${path.join(zh, 'summary.md')}`);

    const enPage = page(en, 'port-in-use-');
    const zhPage = page(zh, 'port-in-use-');
    for (const heading of ['## 问题描述', '## 日志证据', '## 根本原因', '## 修复措施', '## 验证', '## 预防措施']) expect(zhPage).toContain(heading);
    for (const heading of ['## What happened', '## Evidence', '## Root cause', '## Remediation', '## How to verify', '## How to prevent']) {
      expect(enPage).toContain(heading);
      expect(zhPage).not.toContain(heading);
    }
    // the rule's own texts, filled in from this log
    expect(zhPage).toMatch(/^# 🟠 服务无法绑定端口（EADDRINUSE）$/m);
    expect(zhPage).toContain('api 绑定端口 5077（地址 ::）失败（Node.js，EADDRINUSE），共 16 次。');
    expect(zhPage).toContain('api 想监听端口 5077，内核返回 EADDRINUSE');
    expect(zhPage).toContain('### 2. 停掉多余的那份，然后只重启一个托管实例');
    expect(zhPage).toContain('ss -ltnp sport = :5077   # 只有一个监听者，属于 PM2 托管的那个 PID');
    expect(zhPage).not.toContain('tried to listen on port');
    expect(zhPage).toContain('**错误** · 未解决 · 16 条匹配记录，持续 5 秒');
    // evidence is the log, byte for byte; every command is the English command
    expect(blocks(zhPage, 'text')).toEqual(blocks(enPage, 'text'));
    expect(blocks(zhPage, 'text').length).toBeGreaterThan(0);
    expect(blocks(zhPage, 'bash')).toEqual(blocks(enPage, 'bash'));
    expect(zhPage).toContain("{ name: 'api', script: 'server.js', kill_timeout: 5000, wait_ready: true, listen_timeout: 10000 }");

    const summary = fs.readFileSync(path.join(zh, 'summary.md'), 'utf8');
    expect(summary).toMatch(/^# 故障诊断报告$/m);
    expect(summary).toContain('**共 8 个故障：严重 5 个、错误 3 个。**');
    expect(summary).toContain('| 级别 | 故障 | 规则 | 服务 | 首次出现 (UTC) | 最后出现 | 事件数 |');
    expect(summary).toContain('## 首先要做的');
    expect(summary).not.toContain('## What to do first');
  }, 30_000);

  it('writes the seed-004 pool-timeout report in Chinese with the traceback and the pool settings untouched', () => {
    const seed = path.join(ROOT, 'fixtures/seed-004-db-pool-timeout');
    const en = path.join(dir, 'en');
    const zh = path.join(dir, 'zh');
    run(['analyze', seed, '--lang', 'en', '--out', en, '-q']);
    run(['analyze', seed, '--lang', 'zh', '--out', zh, '-q']);
    const enPage = page(en, 'db-pool-timeout-');
    const zhPage = page(zh, 'db-pool-timeout-');
    expect(zhPage).toMatch(/^# 🟠 数据库连接池耗尽或连接超时$/m);
    expect(zhPage).toContain('**错误** · 已恢复 · 3 条匹配记录');
    expect(zhPage).toContain('backend 没能及时拿到数据库连接');
    expect(zhPage).toContain('### 3. 有意识地设置连接池大小和超时（改配置）');
    // the sentence decided by this log's limits, in Chinese; the derived setting is code, unchanged
    expect(zhPage).toContain('**失败时的限制：pool_size=10, max_overflow=20, pool_timeout=30。** 全部 30 个连接');
    expect(zhPage).toContain('create_engine(url, pool_size=10, max_overflow=20, pool_timeout=30, pool_pre_ping=True');
    expect(enPage).toContain('create_engine(url, pool_size=10, max_overflow=20, pool_timeout=30, pool_pre_ping=True');
    expect(zhPage).toContain('_… 另有 13 行未显示。_');
    expect(enPage).toContain('_… 13 more lines not shown._');
    expect(blocks(zhPage, 'text')).toEqual(blocks(enPage, 'text'));
    expect(blocks(zhPage, 'text').join('\n')).toContain('psycopg.OperationalError: consuming input failed: could not receive data from server: Operation timed out');
    expect(blocks(zhPage, 'bash')).toEqual(blocks(enPage, 'bash'));
    // reports speak of the user's system only
    expect(zhPage).not.toMatch(/\bseeds? 0\d\d|种子/i);
  }, 30_000);

  it('keeps JSON in English (a machine contract), whatever the language', () => {
    const zh = run(['analyze', CRASH_LOOP, '--lang', 'zh', '--format', 'json', '-q']);
    const en = run(['analyze', CRASH_LOOP, '--lang', 'en', '--format', 'json', '-q']);
    const strip = (s: string): unknown => {
      const doc = JSON.parse(s) as { incidents: unknown[]; stats: Record<string, unknown> };
      return doc.incidents;
    };
    expect(strip(zh.stdout)).toEqual(strip(en.stdout));
  }, 30_000);
});

describe('language default', () => {
  it('LANG=zh_CN.UTF-8 writes Chinese; LC_ALL and LC_MESSAGES come first; --lang wins; C or unset is English', () => {
    const md = ['analyze', CRASH_LOOP, '--format', 'md'];
    expect(run(md, localeEnv({ LANG: 'zh_CN.UTF-8' })).stdout).toMatch(/^# 故障诊断报告$/m);
    expect(run(md, localeEnv({ LANG: 'zh_CN.UTF-8', LC_ALL: 'en_US.UTF-8' })).stdout).toMatch(/^# Incident report$/m);
    expect(run(md, localeEnv({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'zh_TW.UTF-8' })).stdout).toMatch(/^# 故障诊断报告$/m);
    expect(run([...md, '--lang', 'en'], localeEnv({ LANG: 'zh_CN.UTF-8' })).stdout).toMatch(/^# Incident report$/m);
    expect(run(md, localeEnv({ LANG: 'C' })).stdout).toMatch(/^# Incident report$/m);
    expect(run(md).stdout).toMatch(/^# Incident report$/m);
    const bad = run([...md, '--lang', 'fr']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--lang <lang>' argument 'fr' is invalid. expected one of en, zh");
  }, 60_000);

  it('lang: in the configuration file comes before the locale; --lang before both', () => {
    fs.writeFileSync(path.join(dir, 'incident-analyser.yaml'), 'lang: zh\n');
    const md = ['analyze', CRASH_LOOP, '--format', 'md'];
    expect(run(md, localeEnv({ LANG: 'en_US.UTF-8' })).stdout).toMatch(/^# 故障诊断报告$/m);
    expect(run([...md, '--lang', 'en'], localeEnv({ LANG: 'zh_CN.UTF-8' })).stdout).toMatch(/^# Incident report$/m);
    fs.writeFileSync(path.join(dir, 'incident-analyser.yaml'), 'lang: en\n');
    expect(run(md, localeEnv({ LANG: 'zh_CN.UTF-8' })).stdout).toMatch(/^# Incident report$/m);
  }, 30_000);

  it('console lines follow the locale too: --format text, and stored incidents listed and reported again', () => {
    const zhEnv = localeEnv({ LANG: 'zh_CN.UTF-8' });
    const text = run(['analyze', CRASH_LOOP, '--format', 'text'], zhEnv);
    expect(text.stdout).toMatch(/^读取了 \d+ 个文件，/);
    expect(text.stdout).toContain('8 个故障：');
    expect(text.stdout).toMatch(/^ {2}严重 {2}pm2-restart-loop {2}api/m);
    const db = path.join(dir, 'store.db');
    expect(run(['analyze', CRASH_LOOP, '--db', db, '-q'], localeEnv()).code).toBe(0);
    const listed = run(['incidents', 'list', '--db', db], zhEnv);
    expect(listed.stdout).toContain('8 个故障：');
    const out = path.join(dir, 'again');
    const report = run(['report', '--db', db, '--out', out, '--lang', 'zh']);
    expect(report.stderr).toContain(`已写入 9 个报告文件到 ${out}`);
    // stored incidents keep English texts; the report renders them again from the rules in Chinese
    expect(page(out, 'port-in-use-')).toContain('api 想监听端口 5077，内核返回 EADDRINUSE');
  }, 60_000);
});

describe('analyze on a terminal', () => {
  it('prints a readable summary under a pseudo-terminal, and Markdown to a pipe', async () => {
    const tty = await inPty(['analyze', CRASH_LOOP], localeEnv());
    expect(tty.code).toBe(0);
    const screen = tty.screen;
    expect(screen).toContain('8 incidents: 5 critical, 3 error in 17 files');
    expect(screen).toMatch(/^🔴 CRITICAL {2}PM2 restart loop/m);
    expect(screen).toMatch(/^ {3}api · 17 events · /m);
    expect(screen).toContain('Start here: ');
    expect(screen).toContain('Full reports: --out <dir>');
    // not Markdown: no table, no links to pages that were not written
    expect(screen).not.toContain('|---|');
    expect(screen).not.toContain('](incidents/');
    expect(screen.split('\n').length).toBeLessThan(70);

    const zhScreen = (await inPty(['analyze', CRASH_LOOP], localeEnv({ LANG: 'zh_CN.UTF-8' }))).screen;
    expect(zhScreen).toContain('共 8 个故障：严重 5 个、错误 3 个，来自 17 个文件');
    expect(zhScreen).toContain('先处理：');
    expect(zhScreen).toMatch(/^🟠 错误 {2}服务无法绑定端口（EADDRINUSE）$/m);

    const piped = run(['analyze', CRASH_LOOP]);
    expect(piped.stdout).toMatch(/^# Incident report$/m);
    expect(piped.stdout).toContain('](incidents/');
  }, 30_000);

  it('keeps Markdown on a terminal when --format md is asked for', async () => {
    expect((await inPty(['analyze', CRASH_LOOP, '--format', 'md'], localeEnv())).screen).toMatch(/^# Incident report$/m);
  }, 30_000);
});

describe('rules lint and Chinese texts', () => {
  it('fails a built-in rule without a zh: block (on a copy of the package)', () => {
    const pkg = path.join(dir, 'pkg');
    for (const part of ['bin', 'dist', 'rules', 'reports']) fs.cpSync(path.join(ROOT, part), path.join(pkg, part), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    const ok = spawnSync(process.execPath, [path.join(pkg, 'bin/incident-analyser.js'), 'rules', 'lint'], { cwd: dir, encoding: 'utf8' });
    expect(ok.stdout).not.toContain('no zh: block');
    const file = path.join(pkg, 'rules/port-in-use.yaml');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.indexOf('\nzh:\n') + 1));
    const r = spawnSync(process.execPath, [path.join(pkg, 'bin/incident-analyser.js'), 'rules', 'lint'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/port-in-use\.yaml: port-in-use: no zh: block: a built-in rule carries its texts in Chinese too/);
  }, 30_000);

  it('lets a user rule without zh: pass lint with one note, and says once that its incidents stay in English', () => {
    fs.writeFileSync(
      path.join(dir, 'quota.yaml'),
      `id: quota\ntitle: Disk quota exceeded\nseverity: warning\nmatch:\n  - regex: 'disk quota exceeded for (?<user>\\w+)'\ndiagnosis: 'User {{user}} is over quota'\nexamples:\n  match: ['disk quota exceeded for bob']\n  no_match: ['disk quota fine']\n`,
    );
    const lint = run(['rules', 'lint', 'quota.yaml']);
    expect(lint.stdout).toContain('note: quota: no zh: block; reports in Chinese (--lang zh) describe its incidents in English');
    expect(lint.stdout).toMatch(/16 rule\(s\) checked, 0 problem\(s\)/);
    fs.writeFileSync(path.join(dir, 'app.log'), 'disk quota exceeded for bob\ndisk quota exceeded for bob\n');
    const r = run(['analyze', 'app.log', '--rules', 'quota.yaml', '--lang', 'zh', '--format', 'md']);
    expect(r.stderr.match(/规则 quota 没有中文文本/g)).toHaveLength(1);
    expect(r.stdout).toContain('# 故障诊断报告');
    expect(r.stdout).toContain('Disk quota exceeded');
  }, 30_000);
});
