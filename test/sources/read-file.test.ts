import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InputFile } from '../../src/sources/discover.js';
import { readTextChunks, type ReadIssues } from '../../src/sources/read-file.js';
import { fromLatin1, MAX_LINE_BYTES } from '../../src/text/latin1.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-read-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: Buffer | string): InputFile {
  const abs = path.join(dir, name);
  fs.writeFileSync(abs, content);
  const st = fs.statSync(abs);
  return { display: name, abs, size: st.size, mtimeMs: st.mtimeMs };
}

async function readAll(f: InputFile): Promise<{ text: string; issues: ReadIssues }> {
  const issues: ReadIssues = { warnings: [], truncatedLines: 0, bytes: 0 };
  let text = '';
  for await (const chunk of readTextChunks(f, issues)) {
    expect(chunk.endsWith('\n')).toBe(true);
    text += chunk;
  }
  // the reader hands out the file's bytes as Latin-1; compare what the log really says
  return { text: fromLatin1(text), issues };
}

describe('readTextChunks', () => {
  it('yields whole lines across chunk boundaries and adds a final newline', async () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    const { text, issues } = await readAll(file('big.log', lines.join('\n')));
    expect(text.split('\n').slice(0, -1)).toEqual(lines);
    expect(issues.warnings).toEqual([]);
  });

  it('reads gzip files by their magic bytes, whatever the name', async () => {
    const { text } = await readAll(file('app.log.1', zlib.gzipSync('a\nb\n')));
    expect(text).toBe('a\nb\n');
  });

  it('keeps what a truncated gzip held and says it was damaged', async () => {
    const body = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${Math.sin(i)}`).join('\n');
    const gz = zlib.gzipSync(body);
    const { text, issues } = await readAll(file('cut.log.gz', gz.subarray(0, Math.floor(gz.length / 2))));
    expect(text.length).toBeGreaterThan(1000);
    expect(body.startsWith(text.split('\n').slice(0, -2).join('\n'))).toBe(true);
    expect(issues.warnings.join(' ')).toMatch(/damaged or truncated gzip/);
    expect(issues.fatal).toBeUndefined();
  });

  it('skips binary files with a reason', async () => {
    const { text, issues } = await readAll(file('core.log', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 10])));
    expect(text).toBe('');
    expect(issues.fatal).toMatch(/binary/);
  });

  it('marks an empty file as empty without a warning (a healthy PM2 error log is empty)', async () => {
    const { issues } = await readAll(file('empty.log', ''));
    expect(issues.empty).toBe(true);
    expect(issues.warnings).toEqual([]);
  });

  it('replaces invalid UTF-8 and says so', async () => {
    const { text, issues } = await readAll(file('latin1.log', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])));
    expect(text).toBe('caf\uFFFD\n');
    expect(issues.warnings.join(' ')).toMatch(/invalid UTF-8/);
  });

  it('cuts a 20 MB line and goes on with the next line', async () => {
    const huge = 'y'.repeat(20 * 1024 * 1024);
    const { text, issues } = await readAll(file('huge.log', `before\n${huge}\nafter\n`));
    const lines = text.split('\n');
    expect(lines[0]).toBe('before');
    expect(lines[1]?.length).toBe(MAX_LINE_BYTES);
    expect(lines[2]).toBe('after');
    expect(issues.truncatedLines).toBe(1);
  });

  it('drops a UTF-8 byte order mark, so the first line starts with its timestamp', async () => {
    const { text, issues } = await readAll(file('bom.log', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('2026-01-01T00:00:00Z first\nsecond\n')])));
    expect(text).toBe('2026-01-01T00:00:00Z first\nsecond\n');
    expect(issues.warnings).toEqual([]);
  });

  it.each([
    ['utf-16le', Buffer.from([0xff, 0xfe])],
    ['utf-16be', Buffer.from([0xfe, 0xff])],
  ])('decodes %s with a byte order mark (PowerShell redirects) instead of calling it binary', async (encoding, bom) => {
    const body = '2026-01-01T00:00:00Z Error: café ☕ 😀\r\nnext line\r\n'.repeat(40_000);
    const le = Buffer.from(body, 'utf16le');
    const bytes = encoding === 'utf-16le' ? le : Buffer.from(le).swap16();
    const { text, issues } = await readAll(file(`${encoding}.log`, Buffer.concat([bom, bytes])));
    expect(issues.fatal).toBeUndefined();
    expect(issues.warnings).toEqual([]);
    // more than one 1 MiB read: characters split across reads come out whole
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(text).toBe(body);
  });

  it('splits classic Mac files on bare \r and leaves \r\n alone', async () => {
    const mac = await readAll(file('mac.log', 'one\rtwo\rthree\r'));
    expect(mac.text).toBe('one\ntwo\nthree\n');
    const dos = await readAll(file('dos.log', 'one\r\ntwo\r\n'));
    expect(dos.text).toBe('one\r\ntwo\r\n');
  });

  it('reads standard input, gzip included', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `
      import { readTextChunks } from ${JSON.stringify(new URL('../../dist/sources/read-file.js', import.meta.url).href)};
      const issues = { warnings: [], truncatedLines: 0, bytes: 0 };
      let text = '';
      for await (const c of readTextChunks({ display: '-', abs: '-', size: 0, mtimeMs: 0, stdin: true }, issues)) text += c;
      process.stdout.write(JSON.stringify({ text, issues }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: zlib.gzipSync('a\nb'), encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toMatchObject({ text: 'a\nb\n', issues: { warnings: [] } });
  });
});
