import { InvalidArgumentError } from 'commander';
import { CONTROL_PLANES, type ControlPlaneKind } from './sim/simulated-cluster.js';

/** commander value parsers: a bad value becomes one clear line and exit status 2. */
export const wholeNumber =
  (min: number, max: number) =>
  (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return Number(value);
  };

export const positiveNumber =
  (max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`expected a number greater than 0 and at most ${max}.`);
    }
    return n;
  };

/** `--control-plane memory|real`. */
export function controlPlaneKind(value: string): ControlPlaneKind {
  if (!(CONTROL_PLANES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of: ${CONTROL_PLANES.join(', ')}.`);
  }
  return value as ControlPlaneKind;
}
