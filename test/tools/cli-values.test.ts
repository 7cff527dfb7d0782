import { InvalidArgumentError } from 'commander';
import { positiveNumber, wholeNumber } from '../../tools/cli-values.js';

describe('command-line value parsers', () => {
  it.each(['0', '7', '10'])('wholeNumber(0, 10) accepts %s', (value) => {
    expect(wholeNumber(0, 10)(value)).toBe(Number(value));
  });

  it.each(['-1', '11', '1.5', '', ' 3', '3; reboot', '1e3'])('wholeNumber(0, 10) rejects %j', (value) => {
    expect(() => wholeNumber(0, 10)(value)).toThrow(InvalidArgumentError);
  });

  it.each(['0.01', '1', '1000'])('positiveNumber(1000) accepts %s', (value) => {
    expect(positiveNumber(1000)(value)).toBe(Number(value));
  });

  it.each(['0', '-2', '1000.5', '', 'abc', 'Infinity'])('positiveNumber(1000) rejects %j', (value) => {
    expect(() => positiveNumber(1000)(value)).toThrow(/greater than 0 and at most 1000/);
  });
});
