// The typed rendering of log values: validation per type, shell quoting checked by a real bash,
// JavaScript string literals checked by V8.
import { spawnSync } from 'node:child_process';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { jsString, refusal, shellWord, showValue } from '../../src/sinks/shell-values.js';

const NASTY = [
  'plain',
  "it's",
  "''",
  'a b\tc',
  '$(id)',
  '`id`',
  '${HOME}',
  '~root',
  'x;y&&z||w|v',
  'new\nline',
  '\\',
  '*?[a]',
  '!event',
  '"dq"',
  '\u202eevil',
  'Ünïcødé ✓ 𝄞',
  '{a,b}',
  '# not a comment',
  '=x',
  '',
];

describe('shellWord', () => {
  it('gives bash exactly one argument equal to the value, whatever it holds', () => {
    const script = NASTY.map((v) => `printf '%s\\0' ${shellWord(v)}`).join('\n');
    const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8', env: { HOME: '/nonexistent', PATH: '/usr/bin:/bin' } });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(NASTY);
  });

  it('leaves plain words bare and quotes the rest', () => {
    expect(shellWord('api')).toBe('api');
    expect(shellWord('/srv/app/x.js')).toBe('/srv/app/x.js');
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
    expect(shellWord('~root')).toBe(`'~root'`);
  });
});

describe('jsString', () => {
  it('is a string literal V8 reads back as the value, with nothing a shell would expand', () => {
    for (const v of [...NASTY, '\u2028\u2029', '\ud800 lone', '</script>']) {
      const literal = jsString(v);
      expect(vm.runInNewContext(literal)).toBe(v);
      expect(literal.slice(1, -1)).not.toMatch(/[$`"'!\n]|[^\x20-\x7e]/);
    }
  });
});

describe('refusal', () => {
  const cases: Array<[Parameters<typeof refusal>[0], string, RegExp | undefined]> = [
    ['app', 'api', undefined],
    ['app', 'web_1.blue@2', undefined],
    ['app', '/tmp/evil.js', /is a path where a valid PM2 app name is expected/],
    ['app', '--interpreter=/tmp/x', /starts with "-"/],
    ['app', '`touch /tmp/x`; rm -rf ~ #', /is not a valid PM2 app name/],
    ['app', '..', /is not/],
    ['app', 'a'.repeat(101), /is 101 characters long/],
    ['port', '5432', undefined],
    ['port', '65536', /is not a TCP port/],
    ['port', '0', /is not a TCP port/],
    ['pid', '173', undefined],
    ['host', '127.0.0.1', undefined],
    ['host', '::1', undefined],
    ['host', 'db.internal', undefined],
    ['host', '-oProxyCommand=touch /tmp/x', /starts with "-"/],
    ['host', 'db;id', /is not a host name/],
    ['path', '/srv/my app/x (1).js', undefined],
    ['path', "/srv/it's", /is not a file path/],
    ['path', '/srv/\u202eevil', /is not a file path/],
    ['module', '@prisma/client', undefined],
    ['module', '$(touch /tmp/x)', /is not a module name/],
    ['url', 'https://example.com/a?b=1&c=2', undefined],
    ['url', 'javascript:alert(1)', /is not an http\(s\) URL/],
    ['signal', 'SIGKILL', undefined],
    ['word', 'bob', undefined],
    ['word', 'bob smith', /is not a single word/],
    ['text', 'anything', /free text, which is never put into a command/],
  ];
  for (const [type, value, reason] of cases) {
    it(`${type} ${JSON.stringify(value.slice(0, 30))} ${reason ? 'is refused' : 'fits'}`, () => {
      const got = refusal(type, value);
      if (reason) expect(got).toMatch(reason);
      else expect(got).toBeUndefined();
    });
  }
});

describe('showValue', () => {
  it('shows a value on one line, without backticks, control or bidi characters, and short', () => {
    const shown = showValue(`\`a\`\n\u202e${'x'.repeat(100)}`);
    expect(shown).toBe(`"\\u0060a\\u0060\\n\\u202e${'x'.repeat(55)}…"`);
  });
});
