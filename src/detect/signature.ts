import { errorMessage } from '../errors.js';
/** Bounds for reading the previous container log (pass them to the log request) and for matching it. */
export const LOG_TAIL_LINES = 200;
export const LOG_LIMIT_BYTES = 64 * 1024;
/** Longer lines are cut before matching: bounds the regex work per line. */
export const MAX_LINE_LENGTH = 4096;
/** The matched line as recorded in a NodeRemediation's trigger. */
export const MAX_SIGNATURE_LENGTH = 1024;

export class SignatureError extends Error {
  constructor(
    readonly index: number,
    readonly source: string,
    cause: string,
  ) {
    super(`signature ${index} (${JSON.stringify(source)}) is not a valid regular expression: ${cause}`);
    this.name = 'SignatureError';
  }
}

/** Compiles every signature once; throws SignatureError naming the first bad one. */
export function compileSignatures(sources: readonly string[]): RegExp[] {
  return sources.map((source, index) => {
    try {
      return new RegExp(source);
    } catch (err) {
      throw new SignatureError(index, source, errorMessage(err));
    }
  });
}

/** Applies the bounds even if the caller did not: the last LOG_LIMIT_BYTES, the last LOG_TAIL_LINES lines. */
export function boundLog(log: string): string[] {
  let text = log;
  if (Buffer.byteLength(text, 'utf8') > LOG_LIMIT_BYTES) {
    text = Buffer.from(text, 'utf8').subarray(-LOG_LIMIT_BYTES).toString('utf8');
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-LOG_TAIL_LINES).map((line) => line.slice(0, MAX_LINE_LENGTH));
}

/** The most recent line that matches any signature, or null. */
export function matchSignature(log: string, signatures: readonly RegExp[]): { line: string } | null {
  if (signatures.length === 0) return null;
  const lines = boundLog(log);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (signatures.some((re) => re.test(line))) return { line: line.slice(0, MAX_SIGNATURE_LENGTH) };
  }
  return null;
}
