import { nextSettleState, type SettleInput } from '../../../tools/demo/settle.js';

const look = (extra: Partial<SettleInput>): SettleInput => ({
  unsettled: [],
  settledSinceMs: undefined,
  nowMs: 1_000,
  startMs: 0,
  timeoutMs: 10_000,
  graceMs: 500,
  ...extra,
});

describe('when the demo stops watching', () => {
  it.each<[string, Partial<SettleInput>, ReturnType<typeof nextSettleState>]>([
    [
      'a node in progress before the deadline',
      { unsettled: ['a'] },
      { kind: 'watching', settledSinceMs: undefined },
    ],
    [
      'a node in progress at the deadline',
      { unsettled: ['a', 'b'], nowMs: 10_000 },
      { kind: 'timedOut', unsettled: ['a', 'b'] },
    ],
    [
      'a timeout of 0 with a node in progress',
      { unsettled: ['a'], nowMs: 0, timeoutMs: 0 },
      { kind: 'timedOut', unsettled: ['a'] },
    ],
    ['first seen settled: the grace starts', {}, { kind: 'watching', settledSinceMs: 1_000 }],
    [
      'settled for the whole grace',
      { settledSinceMs: 400, nowMs: 900 },
      { kind: 'settled', settledSinceMs: 400 },
    ],
    [
      'settled in time, the grace running past the deadline',
      { settledSinceMs: 9_900, nowMs: 10_200 },
      { kind: 'watching', settledSinceMs: 9_900 },
    ],
    [
      'first seen settled after the deadline',
      { nowMs: 10_100 },
      { kind: 'watching', settledSinceMs: 10_100 },
    ],
    [
      'settled past the deadline, grace over',
      { settledSinceMs: 9_900, nowMs: 10_400 },
      { kind: 'settled', settledSinceMs: 9_900 },
    ],
    [
      'unsettled again after the deadline (a late misstep)',
      { unsettled: ['a'], settledSinceMs: 9_900, nowMs: 10_200 },
      { kind: 'timedOut', unsettled: ['a'] },
    ],
  ])('%s', (_name, input, expected) => {
    expect(nextSettleState(look(input))).toEqual(expected);
  });

  it('never times out with every node settled', () => {
    for (let now = 0; now <= 20_000; now += 150) {
      const state = nextSettleState(look({ nowMs: now, settledSinceMs: now >= 150 ? 150 : undefined }));
      expect(state.kind).not.toBe('timedOut');
    }
  });
});
