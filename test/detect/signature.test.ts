import { DEFAULT_SIGNATURE, effectivePolicy } from '../../src/config/policy.js';
import {
  LOG_LIMIT_BYTES,
  LOG_TAIL_LINES,
  MAX_LINE_LENGTH,
  SignatureError,
  boundLog,
  compileSignatures,
  matchSignature,
} from '../../src/detect/signature.js';

const defaults = effectivePolicy(undefined).signatures;
const crashLine = `F1124 19:35:44.000000 1 main.go:99] ${DEFAULT_SIGNATURE}`;

describe('matchSignature', () => {
  it('finds the azure-npm detection failure with the default signature', () => {
    const log = [
      'I1124 starting npm',
      'error: There was an error running command: [iptables-nft ...]',
      crashLine,
    ].join('\n');
    expect(matchSignature(log, defaults)).toEqual({ line: crashLine });
  });

  it.each([
    ['an unrelated crash', 'panic: runtime error: invalid memory address'],
    ['the chain errors alone', 'iptables: No chain/target/match by that name.'],
    ['an empty log', ''],
    [
      'the words in a different order',
      'unable to locate which iptables version kube proxy is using: failed to detect',
    ],
  ])('does not match %s', (_name, log) => {
    expect(matchSignature(log, defaults)).toBeNull();
  });

  it('reports the most recent matching line', () => {
    const log = ['x failed to detect iptables version A', 'y', 'z failed to detect iptables version B'].join(
      '\n',
    );
    expect(matchSignature(log, [/failed to detect iptables version/])).toEqual({
      line: 'z failed to detect iptables version B',
    });
  });

  it('only looks at the last lines of a huge log', () => {
    const early = `${crashLine}\n`;
    const filler = 'I1124 noise line\n'.repeat(LOG_TAIL_LINES + 10);
    expect(matchSignature(early + filler, defaults)).toBeNull();
    expect(matchSignature(filler + early, defaults)).toEqual({ line: crashLine });
  });

  it('bounds bytes and line length of a huge input', () => {
    const giant = 'a'.repeat(5 * LOG_LIMIT_BYTES);
    const lines = boundLog(`${giant}\n${crashLine}\n`);
    expect(lines.every((l) => l.length <= MAX_LINE_LENGTH)).toBe(true);
    expect(lines.join('\n').length).toBeLessThanOrEqual(LOG_LIMIT_BYTES);
    expect(matchSignature(`${giant}\n${crashLine}\n`, defaults)).toEqual({ line: crashLine });
  });

  it('no signatures match nothing', () => {
    expect(matchSignature(crashLine, [])).toBeNull();
  });
});

describe('compileSignatures', () => {
  it('compiles valid expressions', () => {
    expect(compileSignatures(['a+b', '^x$']).map((r) => r.source)).toEqual(['a+b', '^x$']);
  });

  it('names the bad one', () => {
    expect(() => compileSignatures(['ok', '(unclosed'])).toThrow(SignatureError);
    expect(() => compileSignatures(['ok', '(unclosed'])).toThrow(/signature 1 \("\(unclosed"\)/);
  });
});
