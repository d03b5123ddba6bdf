import { describe, expect, it } from 'vitest';
import { prefilterLiterals, requiredLiterals } from '../../src/rules/literals.js';
import { LiteralScanner } from '../../src/parse/literal-scanner.js';

describe('requiredLiterals', () => {
  it.each([
    ['Cannot call "send" once a close message has been sent', ['Cannot call "send" once a close message has been sent']],
    ['WebSocket is not open: readyState (?<state>[23]) \\((?<name>CLOSING|CLOSED)\\)', ['WebSocket is not open: readyState ']],
    ['QueuePool limit of size (?<size>\\d+) overflow', ['QueuePool limit of size ']],
    ['Could not find a (?:production|valid) build in the', ['Could not find a production build in the', 'Could not find a valid build in the']],
    ['timeout exceeded when trying to connect|Connection terminated due to connection timeout', ['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout']],
    ['\\blisten EADDRINUSE(?::\\s*address already in use)?', ['listen EADDRINUSE']],
    ['Timed out fetching a new connection from the (?:connection )?pool', ['Timed out fetching a new connection from the ']],
    ["ENOENT: no such file or directory, (?:open|stat) '[^']*\\.next", ["ENOENT: no such file or directory, open '", "ENOENT: no such file or directory, stat '"]],
  ])('%s', (source, expected) => {
    expect(requiredLiterals(source)).toEqual(expected);
  });

  it('gives up on patterns without a long enough literal', () => {
    expect(requiredLiterals('\\d+ ms')).toBeUndefined();
    expect(requiredLiterals('foo|\\w+')).toBeUndefined();
  });

  it('multiplies a run by a group of plain alternatives', () => {
    expect(requiredLiterals('\\b(?<syscall>accept|spawn) EMFILE\\b')).toEqual(['accept EMFILE', 'spawn EMFILE']);
    expect(requiredLiterals('\\bError: (?:No connections available|Queue limit reached)\\.')).toEqual(['Error: No connections available.', 'Error: Queue limit reached.']);
    expect(requiredLiterals('(?:^|Error: )Too many connections\\b')).toEqual(['Too many connections']);
  });

  it('never keeps an optional character in a literal', () => {
    expect(requiredLiterals('colou?r matters')).toEqual(['r matters']);
  });
});

describe('prefilterLiterals', () => {
  it('adds the JSON-escaped form of literals with quotes', () => {
    expect(prefilterLiterals(['Cannot call "send"'])).toEqual(['cannot call "send"', 'cannot call \\"send\\"']);
  });

  it('drops literals that contain a shorter one', () => {
    expect(prefilterLiterals(['EADDRINUSE', 'listen EADDRINUSE'])).toEqual(['eaddrinuse']);
  });
});

describe('LiteralScanner', () => {
  const scanner = new LiteralScanner(prefilterLiterals(['EADDRINUSE', 'heap out of memory', 'Cannot call "send"', 'he']));

  it('reports the first hit of each line, in order, ignoring ASCII case', () => {
    const text = 'ok\nlisten eaddrinuse :::3000 and EADDRINUSE again\nnothing\nJavaScript heap out of memory\n';
    const hits: number[] = [];
    scanner.scanLines(text, hits);
    expect(hits.map((h) => text.slice(text.lastIndexOf('\n', h) + 1, text.indexOf('\n', h)))).toEqual([
      'listen eaddrinuse :::3000 and EADDRINUSE again',
      'JavaScript heap out of memory',
    ]);
  });

  it('finds overlapping literals (failure links) and JSON-escaped text', () => {
    const s2 = new LiteralScanner(['abcd', 'bcx']);
    expect(s2.test('zabcx')).toBe(true);
    expect(s2.test('zabcz')).toBe(false);
    expect(scanner.test('{"msg":"Cannot call \\"send\\" once"}')).toBe(true);
  });

  it('agrees with a naive search on random text', () => {
    const lits = ['timeout exceeded', 'EADDRINUSE', 'ENOENT: no such', 'exited with code [', 'buffering timed out'];
    const sc = new LiteralScanner(prefilterLiterals(lits));
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const words = ['timeout', 'exceeded', 'EADDR', 'INUSE', 'ENOENT:', 'no', 'such', 'exited', 'with', 'code', '[', 'buffering', 'timed', 'out', 'x'];
    for (let n = 0; n < 300; n++) {
      const line = Array.from({ length: 8 }, () => words[Math.floor(rnd() * words.length)]).join(rnd() < 0.5 ? ' ' : '');
      expect(sc.test(line), line).toBe(lits.some((l) => line.toLowerCase().includes(l.toLowerCase())));
    }
  });
});
