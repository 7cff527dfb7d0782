import { NodeRemediationSpecSchema, RemediationPolicySpecSchema } from '../../src/api/index.js';
import { policySpecRules } from '../../src/api/policy-rules.js';
import {
  celIsDuration,
  celString,
  DNS1123_SUBDOMAIN,
  DURATION_MAX_LENGTH,
  DURATION_PATTERN,
  minimumDuration,
} from '../../src/api/validation.js';
import { parseDuration } from '../../src/config/duration.js';
import { DEFAULT_POLICY_SPEC } from '../../src/config/policy.js';

const durationPattern = new RegExp(DURATION_PATTERN);
const NS_PER_MS = 1_000_000n;
const MAX_GO_DURATION = (1n << 63n) - 1n;
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * Go's time.ParseDuration (go/src/time/format.go), which CEL's `duration()` in kube-apiserver is, step by step:
 * nanoseconds, or null where Go returns an error (malformed, unknown unit, overflow).
 */
function goParseDuration(text: string): bigint | null {
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return null;
  let d = 0n;
  while (s !== '') {
    if (!/^[0-9.]/.test(s)) return null;
    const int = /^[0-9]*/.exec(s)![0];
    s = s.slice(int.length);
    let v = 0n;
    for (const c of int) {
      v = v * 10n + BigInt(c);
      if (v > 1n << 63n) return null;
    }
    let f = 0;
    let scale = 1;
    let post = false;
    if (s.startsWith('.')) {
      const frac = /^[0-9]*/.exec(s.slice(1))![0];
      s = s.slice(1 + frac.length);
      post = frac.length > 0;
      let overflow = false;
      for (const c of frac) {
        if (overflow) continue;
        if (f > (2 ** 63 - 1 - 9) / 10) {
          overflow = true;
          continue;
        }
        f = f * 10 + Number(c);
        scale *= 10;
      }
    }
    if (int === '' && !post) return null;
    const unitText = /^[^0-9.]*/.exec(s)![0];
    if (unitText === '') return null;
    s = s.slice(unitText.length);
    const unit = UNIT_NS[unitText];
    if (unit === undefined) return null;
    if (v > (1n << 63n) / unit) return null;
    v *= unit;
    if (f > 0) {
      v += BigInt(Math.trunc(f * (Number(unit) / scale)));
      if (v > 1n << 63n) return null;
    }
    d += v;
    if (d > 1n << 63n) return null;
  }
  if (neg) return -d;
  return d > MAX_GO_DURATION ? null : d;
}

/** Every string of `alphabet` up to `length` characters. */
function* strings(alphabet: readonly string[], length: number): Generator<string> {
  if (length === 0) return;
  for (const c of alphabet) yield c;
  for (const prefix of strings(alphabet, length - 1)) for (const c of alphabet) yield prefix + c;
}

describe('the duration pattern agrees with src/config/duration.ts and with Go (CEL duration())', () => {
  const agreement = (text: string) => {
    const ms = parseDuration(text);
    const ns = goParseDuration(text);
    return { text, ms, ns: ns === null ? null : String(ns) };
  };

  test('every short string the pattern accepts parses to the same whole number of milliseconds in both', () => {
    let accepted = 0;
    for (const text of strings(['0', '1', '9', '.', 'h', 'm', 's'], 6)) {
      if (!durationPattern.test(text)) continue;
      accepted++;
      const ms = parseDuration(text);
      expect(agreement(text)).toEqual({
        text,
        ms: expect.any(Number),
        ns: String(BigInt(ms ?? 0) * NS_PER_MS),
      });
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  test.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1m1h', 3_660_000],
    ['500ms', 500],
    ['0s', 0],
    ['1.5h', 5_400_000],
    ['0.00001h', 36],
    ['0.0001m', 6],
    ['0.001s', 1],
    ['12h34m56.789s', 45_296_789],
    ['99999.99999h', 359_999_999_964],
    ['999999999999ms', 999_999_999_999],
    ['99999h99999h99999h99999h99999h', 1_799_982_000_000],
  ])('%s = %i ms, here and in Go', (text, ms) => {
    expect(durationPattern.test(text)).toBe(true);
    expect(text.length).toBeLessThanOrEqual(DURATION_MAX_LENGTH);
    expect(agreement(text)).toEqual({ text, ms, ns: String(BigInt(ms) * NS_PER_MS) });
  });

  test.each([
    ['', 'empty'],
    ['10', 'no unit'],
    ['-1m', 'negative'],
    ['1d', 'no such unit'],
    ['1h 30m', 'a space'],
    ['1.h', 'a point without decimals (Go takes it, the operator does not)'],
    ['.5h', 'no integer part (Go takes it, the operator does not)'],
    ['1us', 'microseconds (Go takes them, the operator does not)'],
    ['1.5ms', 'finer than a millisecond'],
    ['1.0001s', 'finer than a millisecond'],
    ['0.00001m', 'finer than a millisecond'],
    ['0.000001h', 'finer than a millisecond'],
    ['100000h', 'more than 5 digits before h'],
    ['10000000m', 'more than 7 digits before m'],
    ['1000000000s', 'more than 9 digits before s'],
    ['1000000000000ms', 'more than 12 digits before ms'],
  ])('refuses %j: %s', (text) => {
    expect(durationPattern.test(text)).toBe(false);
  });

  test('what the operator parses but the pattern refuses is only sub-millisecond or over-long', () => {
    // The only differences, on purpose: below a millisecond the operator rounds and Go does not; past Go's
    // range CEL's duration() fails. Both keep the operator, the webhook and the API server in agreement.
    expect(parseDuration('1.5ms')).toBe(2);
    expect(goParseDuration('1.5ms')).toBe(1_500_000n);
    expect(parseDuration('9999999999h')).not.toBeNull();
    expect(goParseDuration('9999999999h')).toBeNull();
  });

  test("no string of at most 32 characters the pattern accepts reaches Go's maximum", () => {
    // Upper bound of one part with k integer digits (any decimals add characters, and less than one unit):
    // below 10^k units, at least k + len(unit) characters. The best sum over 32 characters, by dynamic programming.
    const parts = Object.entries({ h: 5, m: 7, s: 9, ms: 12 }).flatMap(([unit, digits]) =>
      Array.from({ length: digits }, (_, i) => ({
        length: i + 1 + unit.length,
        bound: 10n ** BigInt(i + 1) * UNIT_NS[unit]!,
      })),
    );
    const best: bigint[] = [0n];
    for (let length = 1; length <= DURATION_MAX_LENGTH; length++) {
      best[length] = parts
        .filter((p) => p.length <= length)
        .reduce(
          (max, p) => (p.bound + best[length - p.length]! > max ? p.bound + best[length - p.length]! : max),
          0n,
        );
    }
    expect(best[DURATION_MAX_LENGTH]! < MAX_GO_DURATION).toBe(true);
    // And the longest values of each kind parse in Go.
    for (const text of [
      '999999999s999999999s999999999s9h',
      '9999999m9999999m9999999m99999h',
      '99999h'.repeat(5),
      '999999999999ms999999999999ms99h',
    ]) {
      expect({
        text,
        accepted: durationPattern.test(text),
        length: text.length <= DURATION_MAX_LENGTH,
      }).toEqual({
        text,
        accepted: true,
        length: true,
      });
      expect(goParseDuration(text)).not.toBeNull();
    }
  });

  test("zod refuses what the pattern refuses, in the operator's words", () => {
    const parsed = RemediationPolicySpecSchema.safeParse({ cooldown: '1.5ms', job: { timeout: 'banana' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'cooldown: "1.5ms" is not a duration (use e.g. "90s", "10m", "1h30m")',
      'job.timeout: "banana" is not a duration (use e.g. "90s", "10m", "1h30m")',
    ]);
  });
});

describe('node names', () => {
  test.each([
    ['aks-nodepool1-12345678-vmss000003', true],
    ['node-a', true],
    ['a', true],
    ['ip-10-0-0-1.eu-west-1.compute.internal', true],
    ['0', true],
    ['', false],
    ['no such node!!', false],
    ['Node-A', false],
    ['-node', false],
    ['node-', false],
    ['node..a', false],
    ['node_a', false],
  ])('%j is a DNS-1123 subdomain: %s', (name, valid) => {
    expect(new RegExp(DNS1123_SUBDOMAIN).test(name)).toBe(valid);
    expect(
      NodeRemediationSpecSchema.safeParse({ nodeName: name, trigger: { source: 'Manual' } }).success,
    ).toBe(valid);
  });

  test('at most 253 characters', () => {
    const name = `${'a'.repeat(63)}.`.repeat(4);
    expect(
      NodeRemediationSpecSchema.safeParse({ nodeName: name.slice(0, 253), trigger: { source: 'Manual' } })
        .success,
    ).toBe(true);
    expect(
      NodeRemediationSpecSchema.safeParse({ nodeName: name.slice(0, 254), trigger: { source: 'Manual' } })
        .success,
    ).toBe(false);
  });
});

describe('CEL rule texts', () => {
  test('the patterns need no escaping in a CEL string literal', () => {
    expect(celString(DURATION_PATTERN)).toBe(`'${DURATION_PATTERN}'`);
    expect(() => celString("it's")).toThrow(/not a plain CEL string/);
  });

  test('a minimum is only checked once the value parses', () => {
    expect(minimumDuration('10s')).toEqual({
      rule: `!${celIsDuration('self')} || duration(self) >= duration('10s')`,
      message: 'must be at least 10s',
    });
  });

  test("the cross-field rules read the operator's defaults", () => {
    const rules = policySpecRules();
    const d = DEFAULT_POLICY_SPEC;
    expect(rules['']![0]!.rule).toContain(
      `duration((has(self.cooldown) ? self.cooldown : '${d.cooldown}')) <= duration((has(self.attemptWindow) ? self.attemptWindow : '${d.attemptWindow}'))`,
    );
    expect(rules.job![0]!.rule).toContain(
      `duration((has(self.timeout) ? self.timeout : '${d.job.timeout}')).getMilliseconds() > (has(self.agentWaitSeconds) ? self.agentWaitSeconds : ${d.job.agentWaitSeconds}) * 1000`,
    );
    expect(rules['']![0]!.fieldPath).toBe('.cooldown');
    expect(rules.job![0]!.fieldPath).toBe('.agentWaitSeconds');
  });
});
