/**
 * JSON.parse that builds only what a shape asks for (trim as you parse). A Node as the API server sends it is
 * mostly what the operator never reads (its images, managedFields, volumes, addresses, capacity); parsing it whole
 * and trimming afterwards allocates all of it first, at 5,000 nodes in every list page and every heartbeat's watch
 * event. Here a subtree the shape does not name is scanned over, never built; a subtree it keeps whole (`true`) is
 * handed to the native JSON.parse. Why not a streaming JSON library: ADR 18.
 *
 * Strictness: every value that is kept is parsed by JSON.parse (so it is strict JSON); a skipped value is only
 * checked for balanced brackets and closed strings. Malformed text throws a SyntaxError, as JSON.parse does.
 */

/**
 * What to keep: `true` keeps the whole value; an object keeps, of a JSON object, only the keys it names, each by
 * its own shape (of an array, each element by the shape; a primitive is kept as it is).
 */
export type Shape = true | { readonly [key: string]: Shape };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

class Cursor {
  constructor(
    readonly text: string,
    public at = 0,
  ) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.at} in JSON`);
  }

  skipSpace(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.at);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.at++;
      else return;
    }
  }

  /** The code at the cursor after any whitespace. */
  peek(): number {
    this.skipSpace();
    return this.text.charCodeAt(this.at);
  }

  expect(code: number, what: string): void {
    if (this.peek() !== code) this.fail(`expected ${what}`);
    this.at++;
  }

  /** Moves past a string whose opening quote is at the cursor; returns the index of its closing quote. */
  skipString(): number {
    const t = this.text;
    let i = this.at + 1;
    for (;;) {
      const q = t.indexOf('"', i);
      if (q < 0) this.fail('unterminated string');
      let backslashes = 0;
      for (let j = q - 1; t.charCodeAt(j) === BACKSLASH; j--) backslashes++;
      if (backslashes % 2 === 0) {
        this.at = q + 1;
        return q;
      }
      i = q + 1;
    }
  }

  /** Moves past one value of any kind without building it. */
  skipValue(): void {
    const t = this.text;
    const first = this.peek();
    if (first === QUOTE) {
      this.skipString();
      return;
    }
    if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
      this.skipScalar();
      return;
    }
    let depth = 0;
    for (;;) {
      const c = t.charCodeAt(this.at);
      if (Number.isNaN(c)) this.fail('unexpected end');
      if (c === QUOTE) {
        this.skipString();
        continue;
      }
      this.at++;
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return;
      }
    }
  }

  /** A number, true, false or null: up to the next delimiter. */
  private skipScalar(): void {
    const t = this.text;
    const start = this.at;
    for (;;) {
      const c = t.charCodeAt(this.at);
      if (Number.isNaN(c) || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET) break;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
      this.at++;
    }
    if (this.at === start) this.fail('unexpected token');
  }

  /** One whole value, built natively. */
  parseWhole(): unknown {
    this.skipSpace();
    const start = this.at;
    this.skipValue();
    return JSON.parse(this.text.slice(start, this.at));
  }

  /** An object key (the cursor on its opening quote). */
  parseKey(): string {
    const start = this.at;
    const end = this.skipString();
    const raw = this.text.slice(start + 1, end);
    return raw.includes('\\') ? (JSON.parse(this.text.slice(start, end + 1)) as string) : raw;
  }
}

function parseShaped(c: Cursor, shape: Shape): unknown {
  if (shape === true) return c.parseWhole();
  const first = c.peek();
  if (first === OPEN_BRACE) return parseObject(c, shape);
  if (first === OPEN_BRACKET) {
    c.at++;
    const items: unknown[] = [];
    if (c.peek() === CLOSE_BRACKET) {
      c.at++;
      return items;
    }
    for (;;) {
      items.push(parseShaped(c, shape));
      const next = c.peek();
      c.at++;
      if (next === CLOSE_BRACKET) return items;
      if (next !== COMMA) c.fail("expected ',' or ']'");
    }
  }
  return c.parseWhole();
}

function parseObject(c: Cursor, shape: { readonly [key: string]: Shape }): Record<string, unknown> {
  c.at++;
  const out: Record<string, unknown> = {};
  if (c.peek() === CLOSE_BRACE) {
    c.at++;
    return out;
  }
  for (;;) {
    if (c.peek() !== QUOTE) c.fail('expected a key');
    const key = c.parseKey();
    c.expect(COLON, "':'");
    const keep = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (keep === undefined) c.skipValue();
    else out[key] = parseShaped(c, keep);
    const next = c.peek();
    c.at++;
    if (next === CLOSE_BRACE) return out;
    if (next !== COMMA) c.fail("expected ',' or '}'");
  }
}

/** Parses `text`, keeping what `shape` names. Throws a SyntaxError on malformed JSON. */
export function parsePruned(text: string, shape: Shape): unknown {
  const c = new Cursor(text);
  const value = parseShaped(c, shape);
  c.skipSpace();
  if (c.at !== text.length) c.fail('unexpected text after the value');
  return value;
}
