import { seededRandom } from '../api/faults.js';

/** Deterministic randomness for the simulated cluster: the same seed gives the same names and uids. */
export interface SimRandom {
  /** Uniform in [0, 1). */
  next(): number;
  int(maxExclusive: number): number;
  pick<T>(items: readonly T[]): T;
  /** A 5-character suffix from the alphabet Kubernetes uses for generated names. */
  nameSuffix(): string;
  uid(): string;
  hex(length: number): string;
}

// k8s.io/apimachinery/pkg/util/rand: no vowels, no confusable digits.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HEX = '0123456789abcdef';

export function createRandom(seed: number): SimRandom {
  const next = seededRandom(seed);
  const int = (maxExclusive: number) => Math.floor(next() * maxExclusive);
  const fromAlphabet = (alphabet: string, length: number) => {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
    return out;
  };
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    nameSuffix: () => fromAlphabet(NAME_ALPHABET, 5),
    hex: (length) => fromAlphabet(HEX, length),
    uid() {
      const h = fromAlphabet(HEX, 32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[int(4)]}${h.slice(17, 20)}-${h.slice(20)}`;
    },
  };
}
