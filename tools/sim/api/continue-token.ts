import { badRequest } from './errors.js';

/** A list continuation: the snapshot resourceVersion and the last key returned. */
export interface ContinueToken {
  rv: number;
  key: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.key })).toString(
    'base64url',
  );
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as {
      rv?: unknown;
      start?: unknown;
    };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string')
      return { rv: parsed.rv, key: parsed.start };
  } catch {
    // fall through
  }
  throw badRequest(`continue key is not valid: ${text}`);
}
