// User patterns run on RE2 (linear time) or are refused; built-in patterns keep V8.
import { describe, expect, it } from 'vitest';
import { compileRuleRegex, UnsafePatternError } from '../../src/rules/regex-engine.js';

const HOSTILE: Array<[string, string]> = [
  ['(a+)+$', `${'a'.repeat(60)}!`],
  ['Timeout acquiring (\\w+\\s?)+$', `Timeout acquiring ${'a connection '.repeat(4)}!`],
  ['(\\S+\\s*)+failed', 'x'.repeat(60)],
];

describe('compileRuleRegex', () => {
  it('runs user patterns on RE2 with the named groups of JavaScript', () => {
    const { regex, engine } = compileRuleRegex('QUOTA_EXCEEDED user=(?<user>\\w+) \\u0041', '', false);
    expect(engine).toBe('re2');
    const hit = regex.exec('x QUOTA_EXCEEDED user=bob A');
    expect(hit?.[0]).toBe('QUOTA_EXCEEDED user=bob A');
    expect(hit?.groups).toEqual({ user: 'bob' });
    expect(regex.exec('QUOTA_EXCEEDED user=')).toBeNull();
  });

  it('honours the i, m and s flags on RE2', () => {
    expect(compileRuleRegex('disk full', 'i', false).regex.test('DISK FULL')).toBe(true);
    expect(compileRuleRegex('^b$', 'm', false).regex.test('a\nb\nc')).toBe(true);
    expect(compileRuleRegex('^b$', '', false).regex.test('a\nb\nc')).toBe(false);
    expect(compileRuleRegex('a.b', 's', false).regex.test('a\nb')).toBe(true);
  });

  it('keeps built-in patterns on V8 with their lookarounds', () => {
    const { regex, engine } = compileRuleRegex('tsx watch(?=\\s|$)', '', true);
    expect(engine).toBe('v8');
    expect(regex).toBeInstanceOf(RegExp);
  });

  it('refuses a lookaround or a backreference in a user pattern, saying why', () => {
    expect(() => compileRuleRegex('tsx watch(?=\\s|$)', '', false)).toThrow(UnsafePatternError);
    expect(() => compileRuleRegex('tsx watch(?=\\s|$)', '', false)).toThrow(/cannot run in linear time: it uses a lookaround/);
    expect(() => compileRuleRegex('(?<q>["\'])x\\k<q>', '', false)).toThrow(/it uses a backreference/);
  });

  it('reports a JavaScript syntax error as such', () => {
    expect(() => compileRuleRegex('disk (quota', '', false)).toThrow(SyntaxError);
  });

  // The failure signal is the test's timeout: on V8's backtracking engine each of these lines
  // takes longer than the age of the universe.
  it('finishes the issue\'s hostile patterns on hostile lines, short and 64 KiB long', () => {
    for (const [source, line] of HOSTILE) {
      const { regex } = compileRuleRegex(source, '', false);
      for (let i = 0; i < 100; i++) expect(regex.test(line)).toBe(false);
      const long = line.slice(0, -1).repeat(Math.ceil(65536 / line.length)).slice(0, 65535) + '!';
      regex.exec(long);
    }
    // and with a flag that V8's own linear engine could not take
    expect(compileRuleRegex('(a+)+$', 'i', false).regex.test(`${'A'.repeat(60)}!`)).toBe(false);
  }, 60_000);
});
