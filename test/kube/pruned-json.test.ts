import { parsePruned, type Shape } from '../../src/kube/pruned-json.js';
import { seededRandom } from '../../tools/sim/api/faults.js';

/** The reference: parse whole, then keep what the shape names (what parsePruned must equal). */
function pruneParsed(value: unknown, shape: Shape): unknown {
  if (shape === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => pruneParsed(v, shape));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (Object.hasOwn(shape, key) && shape[key] !== undefined) out[key] = pruneParsed(v, shape[key]);
  }
  return out;
}

const KEYS = ['a', 'b', 'c', 'items', 'metadata', 'x"y', 'back\\slash', 'ü', '{}', '[', ''];
const STRINGS = [
  '',
  'plain',
  'with "quotes"',
  'back\\slash\\',
  'tab\there',
  '\u2028 line sep',
  '😀 emoji',
  '}]{[',
  ',:',
];

function randomValue(r: () => number, depth: number): unknown {
  const roll = r();
  if (depth > 4 || roll < 0.35) {
    const kind = Math.floor(r() * 5);
    if (kind === 0) return STRINGS[Math.floor(r() * STRINGS.length)];
    if (kind === 1) return Math.round((r() - 0.5) * 1e6) / (r() < 0.5 ? 1 : 1000);
    if (kind === 2) return r() < 0.5;
    if (kind === 3) return null;
    return -1.5e-7;
  }
  if (roll < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--)
    obj[KEYS[Math.floor(r() * KEYS.length)]!] = randomValue(r, depth + 1);
  return obj;
}

function randomShape(r: () => number, depth: number): Shape {
  if (depth > 3 || r() < 0.3) return true;
  const shape: Record<string, Shape> = {};
  for (const key of KEYS) if (r() < 0.4) shape[key] = randomShape(r, depth + 1);
  return shape;
}

/** JSON text with whitespace sprinkled between tokens (never inside strings). */
function spaced(value: unknown, r: () => number): string {
  const ws = () => [' ', '\n', '\t', '\r\n', ''][Math.floor(r() * 5)]!;
  if (value === null || typeof value !== 'object') return ws() + JSON.stringify(value) + ws();
  if (Array.isArray(value)) return `${ws()}[${value.map((v) => spaced(v, r)).join(',')}]${ws()}`;
  const entries = Object.entries(value).map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${spaced(v, r)}`);
  return `${ws()}{${entries.join(',')}}${ws()}`;
}

describe('parsePruned', () => {
  it('equals JSON.parse then prune, for random values, shapes and whitespace', () => {
    const r = seededRandom(42);
    for (let i = 0; i < 3000; i++) {
      const value = randomValue(r, 0);
      const shape = randomShape(r, 0);
      const text = r() < 0.5 ? JSON.stringify(value) : spaced(value, r);
      expect({ i, text, got: parsePruned(text, shape) }).toEqual({ i, text, got: pruneParsed(value, shape) });
    }
  });

  it('keeps the whole value with `true`', () => {
    const text = JSON.stringify({ a: [1, { b: 'x\\"y' }], c: null });
    expect(parsePruned(text, true)).toEqual(JSON.parse(text));
  });

  it('decodes escaped keys before matching them', () => {
    expect(parsePruned('{"\\u0061":1,"b":2}', { a: true })).toEqual({ a: 1 });
  });

  it('the last of duplicate keys wins, as with JSON.parse', () => {
    expect(parsePruned('{"a":1,"a":2}', { a: true })).toEqual(JSON.parse('{"a":1,"a":2}'));
  });

  it('never sets a prototype from a "__proto__" key', () => {
    const got = parsePruned('{"__proto__":{"polluted":1},"a":1}', { a: true }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['', true],
    ['{', { a: true }],
    ['{"a":1', { a: true }],
    ['{"a":1,}', { a: true }],
    ['{"a" 1}', { a: true }],
    ['{"b":"unterminated}', { a: true }],
    ['{"b":[1,2}', { a: true }],
    ['[1,2] x', true],
    ['{"a":1} {"a":2}', { a: true }],
    ['{"a":tru}', { a: true }],
    ['[1 2]', { a: true }],
  ] as [string, Shape][])('throws a SyntaxError on malformed JSON: %s', (text, shape) => {
    expect(() => parsePruned(text, shape)).toThrow(SyntaxError);
  });
});
