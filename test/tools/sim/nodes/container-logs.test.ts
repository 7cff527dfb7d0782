import { ContainerLogs, selectLog } from '../../../../tools/sim/nodes/container-logs.js';

describe('the simulated kubelet container logs', () => {
  it('keeps the last run as previous, and serves it while the container waits to restart', () => {
    const logs = new ContainerLogs();
    expect(logs.read('ns', 'p', 'c', { previous: true })).toEqual({
      error: 'previous terminated container "c" in pod "p" not found',
    });
    logs.started('ns', 'p', 'c', 'run 1\n');
    expect(logs.read('ns', 'p', 'c', {})).toEqual({ log: 'run 1\n' });
    expect('error' in logs.read('ns', 'p', 'c', { previous: true })).toBe(true);
    logs.ended('ns', 'p', 'c');
    expect(logs.read('ns', 'p', 'c', { previous: true })).toEqual({ log: 'run 1\n' });
    logs.started('ns', 'p', 'c', 'run 2\n');
    expect(logs.read('ns', 'p', 'c', {})).toEqual({ log: 'run 2\n' });
    expect(logs.read('ns', 'p', 'c', { previous: true })).toEqual({ log: 'run 1\n' });
    logs.append('ns', 'p', 'c', 'more\n');
    expect(logs.read('ns', 'p', 'c', {})).toEqual({ log: 'run 2\nmore\n' });
    logs.forgetPod('ns', 'p');
    expect('error' in logs.read('ns', 'p', 'c', {})).toBe(true);
  });

  it.each([
    [{}, 'a\nb\nc\n'],
    [{ tailLines: 2 }, 'b\nc\n'],
    [{ tailLines: 0 }, ''],
    [{ tailLines: 9 }, 'a\nb\nc\n'],
    [{ limitBytes: 3 }, 'a\nb'],
    [{ tailLines: 2, limitBytes: 2 }, 'b\n'],
  ])('applies tailLines, then limitBytes: %j', (query, expected) => {
    expect(selectLog('a\nb\nc\n', query)).toBe(expected);
  });

  it('counts a last line without a newline as a line', () => {
    expect(selectLog('a\nb', { tailLines: 1 })).toBe('b');
  });
});
