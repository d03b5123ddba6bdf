import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnalysisResult, Incident, RunStats } from '../../src/model.js';
import { code, inline, mermaidText, prose } from '../../src/sinks/markdown-escape.js';
import { renderReports, TemplateError, writeReports } from '../../src/sinks/markdown-report.js';
import { formatDuration, formatRange, formatTime, plural } from '../../src/sinks/report-format.js';

const AT = new Date('2026-02-08T16:45:30Z');
const TOOL = { name: 'incident-analyser', version: '0.1.0' };

function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'nbm-1',
    rule: 'next-build-missing',
    title: 'Next.js build output missing',
    severity: 'critical',
    status: 'open',
    firstSeen: '2026-02-08T16:40:01.000Z',
    lastSeen: '2026-02-08T16:43:12.000Z',
    count: 3,
    services: ['web'],
    files: ['logs/web-error.log'],
    groupKey: 'web',
    captures: {},
    captureValues: {},
    evidence: [
      {
        file: 'logs/web-error.log',
        line: 120,
        text: "Error: ENOENT: no such file or directory, open '/app/.next/server/app/page.js'",
        time: '2026-02-08T16:40:01.000Z',
      },
    ],
    summary: 'Next.js could not open files under `.next/server/`.',
    rootCause: 'The `.next/` folder is incomplete.',
    remediations: [{ title: 'Rebuild', kind: 'command', commands: ['rm -rf .next', 'npm run build'] }],
    verify: ['`curl -fsS localhost:3000/api/health` returns 200.'],
    prevent: ['Run one dev server.'],
    links: [],
    timeApprox: false,
    ...overrides,
  };
}

function stats(overrides: Partial<RunStats> = {}): RunStats {
  return {
    files: 1,
    lines: 2000,
    bytes: 150_000,
    events: 1900,
    matches: 3,
    durationMs: 120,
    skipped: [],
    empty: 0,
    truncatedLines: 0,
    approximateTimes: false,
    ...overrides,
  };
}

function result(incidents: Incident[], statOverrides: Partial<RunStats> = {}): AnalysisResult {
  return { incidents, stats: stats(statOverrides), files: ['logs/web-error.log'] };
}

function render(r: AnalysisResult) {
  return renderReports(r, { generatedAt: AT, tool: TOOL });
}

function page(r: AnalysisResult, id: string): string {
  const found = render(r).incidents.find((p) => p.id === id);
  if (found === undefined) throw new Error(`no page for ${id}`);
  return found.markdown;
}

/** An independent CommonMark fence scanner: which lines are inside which code block. */
interface Block {
  info: string;
  lines: string[];
}
function scan(markdown: string): { outside: string[]; blocks: Block[] } {
  const outside: string[] = [];
  const blocks: Block[] = [];
  let open: { char: string; length: number; indent: number; block: Block } | null = null;
  for (const line of markdown.split('\n')) {
    if (open === null) {
      // A fence may also open a list item (`- ```bash`); its content is then indented by the marker.
      const m = /^( {0,3}(?:[-*+] )?)(`{3,}|~{3,})(.*)$/.exec(line);
      const run = m?.[2];
      const info = m?.[3] ?? '';
      if (run !== undefined && !(run.startsWith('`') && info.includes('`'))) {
        const block = { info: info.trim(), lines: [] };
        blocks.push(block);
        open = { char: run.charAt(0), length: run.length, indent: m?.[1]?.length ?? 0, block };
      } else {
        outside.push(line);
      }
      continue;
    }
    const close = /^ {0,3}(`+|~+) *$/.exec(line)?.[1];
    if (close !== undefined && close.charAt(0) === open.char && close.length >= open.length) open = null;
    else open.block.lines.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
  }
  expect(open, 'every code block is closed').toBeNull();
  return { outside, blocks };
}

/** Text outside inline code spans (inside them `<img>` or `[x](y)` is shown literally). */
function withoutCodeSpans(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\\') {
      out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (text[i] === '`') {
      let j = i;
      while (text[j] === '`') j += 1;
      const ticks = text.slice(i, j);
      const close = new RegExp(`(?<!\`)${ticks}(?!\`)`, 'g');
      close.lastIndex = j;
      const m = close.exec(text);
      if (m !== null) {
        out += ' ';
        i = m.index + ticks.length;
        continue;
      }
      out += ticks;
      i = j;
      continue;
    }
    out += text[i];
    i += 1;
  }
  return out;
}

/** Split a table row on the pipes GFM treats as cell separators (a backslash escapes the next char). */
function cells(row: string): number {
  let n = 0;
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === '\\') i += 1;
    else if (row[i] === '|') n += 1;
  }
  return n - 1;
}

function tableAfter(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const first = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const rows: string[] = [];
  for (let i = first; i < lines.length && (lines[i] ?? '').startsWith('|'); i += 1) rows.push(lines[i] ?? '');
  return rows;
}

function mermaidBars(summary: string): string[] {
  const block = scan(summary).blocks.find((b) => b.info === 'mermaid');
  if (block === undefined) return [];
  return block.lines.filter((l) => / :(?:crit, |active, |done, )?i\d+, /.test(l));
}

describe('evidence fences', () => {
  it('keeps hostile evidence with ``` and ```` inside its own block', () => {
    const hostile = [
      'before',
      '```',
      '# Injected heading',
      '````',
      '<script>alert(1)</script>',
      '~~~',
      '    ``````  ',
      'after',
    ].join('\n');
    const md = page(result([incident({ evidence: [{ file: 'a.log', line: 7, text: hostile }] })]), 'nbm-1');
    const { outside, blocks } = scan(md);
    const evidence = blocks.filter((b) => b.info === 'text');
    expect(evidence).toHaveLength(1);
    expect(evidence[0]?.lines).toEqual(hostile.split('\n'));
    expect(outside).not.toContain('# Injected heading');
    expect(outside.join('\n')).not.toContain('<script>');
    // The page's own structure survives after the evidence.
    expect(outside).toContain('## Root cause');
    expect(outside).toContain('## Remediation');
  });

  it('strips terminal escapes and control characters but keeps tabs', () => {
    const md = page(result([incident({ evidence: [{ file: 'a.log', line: 1, text: '\u001b[31mred\u001b[0m\tx\u0007\u0000y\r' }] })]), 'nbm-1');
    const block = scan(md).blocks.find((b) => b.info === 'text');
    expect(block?.lines).toEqual(['red\txy']);
  });

  it('cuts long evidence and says how much is missing', () => {
    const text = Array.from({ length: 100 }, (_, i) => `    at frame${i} (/app/x.js:${i}:1)`).join('\n');
    const md = page(result([incident({ count: 12, evidence: [{ file: 'a.log', line: 1, text }] })]), 'nbm-1');
    const block = scan(md).blocks.find((b) => b.info === 'text');
    expect(block?.lines).toHaveLength(40);
    expect(md).toContain('… 60 more lines not shown.');
    expect(md).toContain('Showing 1 of 12 matched events');
  });

  it('keeps remediation commands in a bash block they cannot close', () => {
    const md = page(result([incident({ remediations: [{ title: 'x', kind: 'command', commands: ['echo ```', 'echo done'] }] })]), 'nbm-1');
    const bash = scan(md).blocks.filter((b) => b.info === 'bash');
    expect(bash[0]?.lines).toEqual(['echo ```', 'echo done']);
  });
});

describe('tables', () => {
  it('a service name with | and newlines does not add rows or cells', () => {
    const nasty = incident({ id: 'b', services: ['api|web\n| x | y |\nz'], title: 'a | b\n\n# c', severity: 'error' });
    const summary = render(result([incident(), nasty])).summary;
    const rows = tableAfter(summary, '## Incidents');
    expect(rows).toHaveLength(2 + 2);
    for (const row of rows) expect(cells(row)).toBe(7);

    const facts = tableAfter(page(result([nasty]), 'b'), '# 🟠 a \\| b # c');
    expect(facts).toHaveLength(2 + 8);
    for (const row of facts) expect(cells(row)).toBe(2);
  });
});

describe('timeline', () => {
  it('draws one bar per incident with labels Mermaid cannot misread', () => {
    const hostileTitles = ['Error: "send"; after close #1', "title it's %% a trap", 'section x: y', '2026-02-08 starts with a date'];
    const incidents = hostileTitles.map((title, i) =>
      incident({ id: `i${i}`, title, services: [i % 2 === 0 ? 'api' : 'web:1;#'], severity: i === 0 ? 'critical' : 'warning' }),
    );
    const summary = render(result(incidents)).summary;
    const block = scan(summary).blocks.find((b) => b.info === 'mermaid');
    expect(block?.lines[0]).toBe('gantt');
    expect(block?.lines).toContain('    dateFormat YYYY-MM-DDTHH:mm:ss');
    const bars = mermaidBars(summary);
    expect(bars).toHaveLength(incidents.length);
    for (const bar of bars) {
      const label = bar.slice(0, bar.indexOf(' :'));
      expect(label).not.toMatch(/[:#;"'%\n]/);
      expect(label.trim()).not.toMatch(/^(title|section|\d{4}-\d\d-\d\d)\b/i);
    }
    for (const line of block?.lines ?? []) {
      if (line.trim().startsWith('section ')) expect(line).not.toMatch(/[:#;]/);
    }
  });

  it('gives a one-event incident a visible bar', () => {
    const summary = render(result([incident({ lastSeen: '2026-02-08T16:40:01.000Z' })])).summary;
    const [bar] = mermaidBars(summary);
    const [, start, end] = /, (\S+), (\S+)$/.exec(bar ?? '') ?? [];
    expect(start).toBe('2026-02-08T16:40:01');
    expect(Date.parse(`${end ?? ''}Z`)).toBeGreaterThan(Date.parse(`${start ?? ''}Z`));
  });

  it('caps the chart at 40 bars, keeping the most severe, and says so', () => {
    const incidents = Array.from({ length: 45 }, (_, i) =>
      incident({ id: `n${i}`, title: `t${i}`, severity: i < 5 ? 'critical' : 'info' }),
    );
    const summary = render(result(incidents)).summary;
    const bars = mermaidBars(summary);
    expect(bars).toHaveLength(40);
    expect(bars.filter((b) => b.includes(':crit,'))).toHaveLength(5);
    expect(summary).toContain('The chart shows the 40 most severe of 45 incidents.');
  });
});

describe('summary', () => {
  it('says there are no incidents and what was checked', () => {
    const { summary, incidents } = render(result([], { lines: 12_345, files: 2 }));
    expect(incidents).toEqual([]);
    expect(summary).toContain('**No incidents found.**');
    expect(summary).toContain('Read 12,345 lines');
    expect(summary).not.toContain('```mermaid');
    expect(summary).not.toContain('## Incidents');
    expect(summary).not.toMatch(/undefined|null|\[object/);
  });

  it('shows the approximate-time warning if and only if some time was estimated', () => {
    const warning = 'Some times are approximate';
    expect(render(result([incident()])).summary).not.toContain(warning);
    expect(render(result([incident()])).summary).not.toContain('[!WARNING]');
    expect(render(result([incident()], { approximateTimes: true })).summary).toContain(warning);
    const approx = result([incident({ timeApprox: true })]);
    expect(render(approx).summary).toContain(warning);
    expect(page(approx, 'nbm-1')).toContain('Times on this page are approximate');
    expect(page(result([incident()]), 'nbm-1')).not.toContain('approximate');
  });

  it('lists skipped inputs with their reasons', () => {
    const summary = render(result([], { skipped: [{ file: 'logs/old.gz', reason: 'unexpected end of file' }] })).summary;
    expect(summary).toContain('[!WARNING]');
    expect(summary).toContain('- `logs/old.gz`: unexpected end of file');
  });

  it('headlines counts by severity and sorts the table most severe first', () => {
    const r = result([
      incident({ id: 'w', rule: 'w', severity: 'warning', title: 'W' }),
      incident({ id: 'c', rule: 'c', severity: 'critical', title: 'C' }),
      incident({ id: 'e', rule: 'e', severity: 'error', title: 'E', firstSeen: '2026-02-08T16:39:00.000Z' }),
      incident({ id: 'e2', rule: 'e2', severity: 'error', title: 'E2', firstSeen: '2026-02-08T16:41:00.000Z' }),
    ]);
    const summary = render(r).summary;
    expect(summary).toContain('**4 incidents: 1 critical, 2 error, 1 warning.**');
    const order = tableAfter(summary, '## Incidents').slice(2).map((row) => /\[(\w+)\]/.exec(row)?.[1]);
    expect(order).toEqual(['C', 'E', 'E2', 'W']);
  });

  it('links causes to effects and starts with the cause', () => {
    const dup = incident({
      id: 'dup',
      rule: 'duplicate-process',
      title: 'Duplicate dev servers',
      severity: 'error',
      remediations: [{ title: 'Stop the extra copies', kind: 'command', commands: ['pkill -f "tsx watch"'] }],
      links: [{ id: 'nbm-1', rule: 'next-build-missing', title: 'Next.js build output missing', relation: 'causes' }],
    });
    const nbm = incident({ links: [{ id: 'dup', rule: 'duplicate-process', title: 'Duplicate dev servers', relation: 'caused-by' }] });
    const r = result([nbm, dup]);
    const summary = render(r).summary;
    const causes = summary.split('\n').filter((l) => l.includes('most likely caused'));
    expect(causes).toHaveLength(1);
    expect(causes[0]).toContain('[Duplicate dev servers](incidents/dup.md)');
    expect(causes[0]).toContain('[Next.js build output missing](incidents/nbm-1.md)');
    const first = summary.slice(summary.indexOf('## What to do first'));
    expect(first).toContain('Start with 🟠 [Duplicate dev servers](incidents/dup.md)');
    expect(scan(first).blocks[0]?.lines).toEqual(['pkill -f "tsx watch"']);
    expect(page(r, 'nbm-1')).toContain('This most likely follows from 🟠 [Duplicate dev servers](dup.md)');
    expect(page(r, 'dup')).toContain('- 🔴 [Next.js build output missing](nbm-1.md)');
  });
});

describe('escaping of log-controlled values', () => {
  const payload = '\n# PWNED\n<img src=x onerror=alert(1)> [click](javascript:alert(1)) ![i](http://x/i.png) `x` $x$ |';

  it('cannot inject headings, HTML, links or images anywhere', () => {
    const bad = incident({
      id: 'bad/../../etc',
      title: `T${payload}`,
      services: [`svc${payload}`],
      files: [`f${payload}`],
      captureValues: { path: [`p${payload}`] },
      evidence: [{ file: `e${payload}`, line: 1, text: `x${payload}` }],
      summary: `S${payload}`,
      rootCause: `R${payload}\n\`\`\`\nunclosed fence from a capture`,
      remediations: [{ title: `M${payload}`, kind: 'investigate', commands: [], detail: `D${payload}` }],
      verify: [`V${payload}`],
      prevent: [`P${payload}`],
      links: [{ id: 'x', rule: `r${payload}`, title: `L${payload}`, relation: 'caused-by' }],
    });
    const r: AnalysisResult = {
      incidents: [bad],
      stats: stats({ skipped: [{ file: `k${payload}`, reason: `why${payload}` }] }),
      files: [`in${payload}`],
    };
    const rendered = render(r);
    expect(rendered.incidents[0]?.fileName).toBe('bad_.._.._etc.md');
    for (const md of [rendered.summary, rendered.incidents[0]?.markdown ?? '']) {
      const { outside } = scan(md);
      const prose = withoutCodeSpans(outside.join('\n'));
      expect(outside.filter((l) => /^\s{0,3}#+\s*PWNED/.test(l))).toEqual([]);
      expect(prose).not.toMatch(/<img|<script/i);
      expect(prose).not.toMatch(/(?<!\\)\[click(?<!\\)\]\(/);
      expect(prose).not.toMatch(/(?<!\\)!\[i\]/);
      expect(prose).not.toMatch(/undefined|\[object/);
      // Pages keep their own headings after the hostile text.
      expect(outside.some((l) => l.startsWith('## '))).toBe(true);
    }
    const incidentPage = rendered.incidents[0]?.markdown ?? '';
    expect(scan(incidentPage).outside).toContain('## Remediation');
  });
});

describe('helpers', () => {
  it('formats times and durations the way people read them', () => {
    expect(formatTime('2026-02-08T16:40:01.250Z')).toBe('2026-02-08 16:40:01 UTC');
    expect(formatTime('not a time')).toBe('unknown time');
    expect(formatRange('2026-02-08T16:40:01Z', '2026-02-08T16:43:13Z')).toBe('2026-02-08 16:40:01 UTC → 16:43:13 UTC');
    expect(formatDuration(192_000)).toBe('3m 12s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_061_000)).toBe('1d 1h');
    expect(plural(1, 'incident')).toBe('1 incident');
    expect(plural(12_345, 'match', 'matches')).toBe('12,345 matches');
  });

  it('makes code spans their content cannot close', () => {
    expect(code('a ` b')).toBe('``a ` b``');
    expect(code('`x`')).toBe('`` `x` ``');
    expect(code('a|b', { inTable: true })).toBe('`a\\|b`');
  });

  it('escapes only what changes structure, so raw Markdown stays readable', () => {
    expect(inline('snake_case C:\\app v1.2 (ok)')).toBe('snake_case C:\\app v1.2 (ok)');
    expect(inline('# h')).toBe('\\# h');
    expect(inline('- item')).toBe('\\- item');
    expect(inline('see http://x.io and www.x.io')).toBe('see http\\://x.io and www\\.x.io');
    expect(mermaidText('title: a;b#c "d"')).toBe('- title a b c d');
  });
});

describe('rule prose', () => {
  it('closes a code block that a capture left open, so the page structure survives', () => {
    const md = page(result([incident({ rootCause: 'Missing `x`.\n```\n# from a capture' })]), 'nbm-1');
    const { outside, blocks } = scan(md);
    expect(blocks.some((b) => b.lines.includes('# from a capture'))).toBe(true);
    expect(outside).toContain('## Remediation');
  });

  it('turns indented code into a fenced block, shown verbatim and unbreakable', () => {
    const out = prose('Set it in ecosystem.config.js:\n\n    node_args: [\'--x\'] // <a>\n    ```\n\nThen restart.');
    const { outside, blocks } = scan(out);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.lines).toEqual(["node_args: ['--x'] // <a>", '```']);
    expect(outside).toContain('Then restart.');
  });

  it('joins a code span that a rule wrapped across lines, so it is paired as it renders', () => {
    const out = prose('raises (uvicorn: `Unexpected ASGI\nmessage <x>`, ws: `WebSocket is not open`).');
    expect(out).toBe('raises (uvicorn: `Unexpected ASGI message <x>`, ws: `WebSocket is not open`).');
  });

  it('defuses headings behind containers and autolinks that would swallow escapes', () => {
    expect(prose('> > # x')).toBe('> > \\# x');
    expect(prose('- - # x')).toBe('- - \\# x');
    expect(prose('text\n- \nmore')).toBe('text\n\\- \nmore');
    // cmark-gfm's autolinker takes `http://e\` and would leave `<script>` raw behind it.
    expect(prose('see http://e\\<script>')).toBe('see http\\://e\\<script>');
  });

  it('keeps list continuations as text, escaped', () => {
    const out = prose('- item\n\n    more <b>text</b>');
    expect(scan(out).blocks).toHaveLength(0);
    expect(out).toContain('&lt;b>text&lt;/b>');
  });

  it('puts shell-command verify steps in a bash block and keeps sentences as text', () => {
    const md = page(
      result([
        incident({
          verify: [
            "pm2 jlist | grep -o '\"restart_time\":[0-9]*'   # same numbers as before",
            'curl -fsS http://localhost:3000/api/health',
            'Re-run the job that failed and watch it *complete*.',
          ],
        }),
      ]),
      'nbm-1',
    );
    const bash = scan(md).blocks.filter((b) => b.info === 'bash');
    expect(bash.some((b) => b.lines.join('\n') === "pm2 jlist | grep -o '\"restart_time\":[0-9]*'   # same numbers as before\ncurl -fsS http://localhost:3000/api/health")).toBe(true);
    expect(md).toContain('- Re-run the job that failed and watch it *complete*.');
  });
});

describe('empty lists', () => {
  it('fills in sensible text and leaves no empty section', () => {
    const bare = incident({ summary: '', rootCause: '', remediations: [], verify: [], prevent: [], evidence: [], captureValues: {} });
    const md = page(result([bare]), 'nbm-1');
    expect(md).not.toMatch(/undefined|null|\[object/);
    expect(md).toContain('defines no remediation');
    expect(md).toContain('No evidence lines were kept');
    const lines = md.split('\n').filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      if (line.startsWith('## ')) expect(lines[i + 1]?.startsWith('#'), `${line} has content`).toBe(false);
    });
  });
});

describe('templates', () => {
  it('fails loudly, naming the file, when a custom template uses an unknown field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-templates-'));
    fs.writeFileSync(path.join(dir, 'summary.md.hbs'), '# {{headlin}}\n');
    fs.writeFileSync(path.join(dir, 'incident.md.hbs'), '# {{ref.id}}\n');
    expect(() => renderReports(result([]), { templatesDir: dir })).toThrow(TemplateError);
    expect(() => renderReports(result([]), { templatesDir: dir })).toThrow(/summary\.md\.hbs/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is deterministic for a given generatedAt', () => {
    const r = result([incident()]);
    expect(render(r)).toEqual(render(r));
  });
});

describe('writeReports', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes summary.md and incidents/<id>.md atomically, leaving no temp files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-report-'));
    dirs.push(dir);
    const out = path.join(dir, 'out', 'nested');
    const r = result([incident(), incident({ id: 'dup', severity: 'error' })]);
    const options = { generatedAt: AT, tool: TOOL };
    // An earlier run's report gets replaced, not appended to.
    fs.mkdirSync(path.join(out, 'incidents'), { recursive: true });
    fs.writeFileSync(path.join(out, 'summary.md'), 'stale');

    const written = await writeReports(r, out, options);
    const rendered = renderReports(r, options);
    expect(written).toEqual([
      path.join(out, 'summary.md'),
      path.join(out, 'incidents', 'nbm-1.md'),
      path.join(out, 'incidents', 'dup.md'),
    ]);
    expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toBe(rendered.summary);
    for (const p of rendered.incidents) {
      expect(fs.readFileSync(path.join(out, 'incidents', p.fileName), 'utf8')).toBe(p.markdown);
    }
    expect(fs.readdirSync(out).sort()).toEqual(['incidents', 'summary.md']);
    expect(fs.readdirSync(path.join(out, 'incidents')).sort()).toEqual(['dup.md', 'nbm-1.md']);
  });
});
