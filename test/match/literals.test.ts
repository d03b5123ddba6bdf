import { describe, expect, it } from 'vitest';
import { buildPrefilter, requiredLiterals } from '../../src/match/literals.js';

describe('requiredLiterals', () => {
  it.each([
    ['Cannot call "send" once a close message has been sent', ['Cannot call "send" once a close message has been sent']],
    ['WebSocket is not open: readyState (?<state>[23]) \\((?<name>CLOSING|CLOSED)\\)', ['WebSocket is not open: readyState ']],
    ['QueuePool limit of size (?<size>\\d+) overflow', ['QueuePool limit of size ']],
    ['Could not find a (?:production|valid) build in the', ['Could not find a ']],
    ['timeout exceeded when trying to connect|Connection terminated due to connection timeout', ['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout']],
    ['\\blisten EADDRINUSE(?::\\s*address already in use)?', ['listen EADDRINUSE']],
    ['Timed out fetching a new connection from the (?:connection )?pool', ['Timed out fetching a new connection from the ']],
    ["ENOENT: no such file or directory, (?:open|stat) '[^']*\\.next", ["ENOENT: no such file or directory, "]],
  ])('%s', (source, expected) => {
    expect(requiredLiterals(source)).toEqual(expected);
  });

  it('gives up on patterns without a long enough literal', () => {
    expect(requiredLiterals('\\d+ ms')).toBeUndefined();
    expect(requiredLiterals('foo|\\w+')).toBeUndefined();
  });

  it('never keeps an optional character in a literal', () => {
    expect(requiredLiterals('colou?r matters')).toEqual(['r matters']);
  });
});

describe('buildPrefilter', () => {
  it('finds a literal in JSON-escaped text too', () => {
    const re = buildPrefilter(['Cannot call "send"'], false);
    expect(re?.test('{"msg":"Cannot call \\"send\\" once"}')).toBe(true);
  });

  it('drops literals that contain a shorter one', () => {
    expect(buildPrefilter(['EADDRINUSE', 'listen EADDRINUSE'], false)?.source).toBe('EADDRINUSE');
  });
});
