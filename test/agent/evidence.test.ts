import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectEvidence } from '../../src/agent/collect-evidence.js';
import {
  decideCause,
  grepAnswer,
  parseInitLines,
  parseJournalTimestamp,
  parseSystemdTimestamp,
  parseUnitShow,
} from '../../src/agent/evidence.js';
import { unitJournal, unitJournalInitLines } from '../../src/agent/host-commands.js';
import type { InitLine, UnitState } from '../../src/agent/result.js';
import type { CommandResult, Runner } from '../../src/agent/runner.js';

const fixture = (name: string) => readFileSync(resolve('test/agent/fixtures', name), 'utf8');

describe('parseJournalTimestamp', () => {
  it.each([
    ['2026-10-08T05:38:38+0000 host kubelet[1]: x', '2026-10-08T05:38:38.000Z'],
    ['2026-10-08T07:38:38+02:00 host kubelet[1]: x', '2026-10-08T05:38:38.000Z'],
    ['2026-10-08T05:38:38.123456+0000 host kubelet[1]: x', '2026-10-08T05:38:38.000Z'],
    ['2026-10-08T05:38:38Z host kubelet[1]: x', '2026-10-08T05:38:38.000Z'],
    ['Oct 08 05:38:38 host kubelet[1]: x', null],
    ['', null],
  ])('%s', (line, expected) => {
    expect(parseJournalTimestamp(line)).toBe(expected);
  });
});

describe('parseInitLines', () => {
  it('keeps the last failed and initialized line per protocol, oldest first (race fixture)', () => {
    const lines = parseInitLines(fixture('kubelet-journal-race.txt'));
    expect(lines.map((l) => `${l.kind} ${l.protocol} ${l.timestamp}`)).toEqual([
      'initialized IPv4 2026-11-24T19:30:02.000Z',
      'failed IPv4 2026-11-24T19:35:45.000Z',
      'initialized IPv6 2026-11-24T19:35:45.000Z',
    ]);
    expect(lines[1]?.line).toContain(
      '"Failed to initialize iptables rules; some functionality may be missing."',
    );
  });

  it('reads the real kubelet line from the incident', () => {
    const lines = parseInitLines(fixture('kubelet-journal-recovered.txt'));
    expect(lines).toEqual([
      expect.objectContaining({ kind: 'failed', protocol: 'IPv4', timestamp: '2026-10-08T05:38:38.000Z' }),
      expect.objectContaining({
        kind: 'initialized',
        protocol: 'IPv4',
        timestamp: '2026-10-08T06:02:12.000Z',
      }),
    ]);
  });

  it('finds nothing in an empty journal', () => {
    expect(parseInitLines(fixture('kubelet-journal-empty.txt'))).toEqual([]);
  });

  it('cuts very long lines', () => {
    const long = `2026-10-08T05:38:38+0000 h kubelet[1]: "Failed to initialize iptables rules" ${'x'.repeat(1000)}`;
    expect(parseInitLines(long)[0]?.line.length).toBeLessThanOrEqual(241);
  });
});

describe('parseSystemdTimestamp', () => {
  it.each([
    ['Tue 2026-11-24 19:35:44 UTC', '2026-11-24T19:35:44.000Z'],
    ['Tue 2026-11-24 19:35:44.123456 UTC', '2026-11-24T19:35:44.000Z'],
    ['2026-11-24 19:35:44 GMT', '2026-11-24T19:35:44.000Z'],
    ['Tue 2026-11-24 20:35:44 CET', null],
    ['n/a', null],
    ['', null],
  ])('%s', (value, expected) => {
    expect(parseSystemdTimestamp(value)).toBe(expected);
  });
});

describe('parseUnitShow', () => {
  it('reads both properties', () => {
    expect(parseUnitShow('ActiveState=active\nActiveEnterTimestamp=Tue 2026-11-24 19:35:44 UTC\n')).toEqual({
      activeState: 'active',
      activeEnterTimestamp: '2026-11-24T19:35:44.000Z',
    });
  });

  it('gives null for a unit that never started', () => {
    expect(parseUnitShow('ActiveState=inactive\nActiveEnterTimestamp=\n')).toEqual({
      activeState: 'inactive',
      activeEnterTimestamp: null,
    });
  });

  it('gives nulls for unexpected output', () => {
    expect(parseUnitShow('garbage')).toEqual({ activeState: null, activeEnterTimestamp: null });
  });
});

describe('decideCause', () => {
  const failed = (timestamp: string, protocol = 'IPv4'): InitLine => ({
    kind: 'failed',
    timestamp,
    protocol,
    line: '',
  });
  const ok = (timestamp: string, protocol = 'IPv4'): InitLine => ({
    kind: 'initialized',
    timestamp,
    protocol,
    line: '',
  });
  const unit = (at: string | null): UnitState => ({ activeState: 'active', activeEnterTimestamp: at });
  const KUBELET = '2026-11-24T19:35:44.000Z';

  it.each([
    [
      'iptables restarted 2 s after kubelet',
      [failed('2026-11-24T19:35:45Z')],
      unit(KUBELET),
      unit('2026-11-24T19:35:46Z'),
      'KubeletInitRace',
    ],
    [
      'iptables restarted 5 s before kubelet',
      [failed('2026-11-24T19:35:45Z')],
      unit(KUBELET),
      unit('2026-11-24T19:35:39Z'),
      'KubeletInitRace',
    ],
    [
      'iptables started an hour earlier',
      [failed('2026-11-24T19:35:45Z')],
      unit(KUBELET),
      unit('2026-11-24T18:35:44Z'),
      'KubeletInitFailed',
    ],
    ['iptables start unknown', [failed('2026-11-24T19:35:45Z')], unit(KUBELET), null, 'KubeletInitFailed'],
    [
      'kubelet start unknown: the failure time is used',
      [failed('2026-11-24T19:35:45Z')],
      null,
      unit('2026-11-24T19:35:47Z'),
      'KubeletInitRace',
    ],
    [
      'the failure belongs to an earlier kubelet run',
      [failed('2026-11-24T18:00:00Z')],
      unit(KUBELET),
      unit('2026-11-24T18:00:01Z'),
      'Unknown',
    ],
    [
      'the last init succeeded',
      [failed('2026-11-24T19:30:00Z'), ok('2026-11-24T19:35:45Z')],
      unit(KUBELET),
      unit(KUBELET),
      'Unknown',
    ],
    [
      'only IPv6 failed',
      [ok('2026-11-24T19:35:45Z'), failed('2026-11-24T19:35:45Z', 'IPv6')],
      unit(KUBELET),
      unit(KUBELET),
      'Unknown',
    ],
    ['no lines at all', [], unit(KUBELET), unit(KUBELET), 'Unknown'],
  ] as const)('%s', (_name, initLines, kubelet, iptables, cause) => {
    expect(decideCause({ initLines: [...initLines], kubelet, iptables })).toBe(cause);
  });
});

describe('grepAnswer (journalctl --grep)', () => {
  const r = (partial: Partial<CommandResult>): CommandResult => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
    ...partial,
  });
  it.each([
    ['exit 0: the lines', r({ stdout: 'a\n' }), { kind: 'lines', text: 'a\n' }],
    [
      'no match: exit 1 and "-- No entries --" (systemd 252)',
      r({ exitCode: 1, stdout: '-- No entries --\n' }),
      { kind: 'lines', text: '' },
    ],
    [
      'built without PCRE2',
      r({ exitCode: 1, stderr: 'Compiled without pattern matching support\n' }),
      { kind: 'unsupported' },
    ],
    [
      'PCRE2 missing at run time',
      r({ exitCode: 1, stderr: 'libpcre2-8.so.0 is not installed: cannot open shared object file\n' }),
      { kind: 'unsupported' },
    ],
    [
      'older than --grep',
      r({ exitCode: 1, stderr: "journalctl: unrecognized option '--grep'\n" }),
      { kind: 'unsupported' },
    ],
    [
      'another failure',
      r({ exitCode: 1, stderr: 'Failed to open journal: Permission denied\n' }),
      { kind: 'failed', problem: 'exit status 1: Failed to open journal: Permission denied' },
    ],
    ['a timeout', r({ exitCode: null, failure: 'timeout' }), { kind: 'failed', problem: 'timeout' }],
  ] as const)('%s', (_name, result, expected) => {
    expect(grepAnswer(result)).toEqual(expected);
  });
});

describe('collectEvidence over a scripted host', () => {
  const RACE = fixture('kubelet-journal-race.txt');
  const SHOW = 'ActiveState=active\nActiveEnterTimestamp=Tue 2026-11-24 19:35:44 UTC\n';

  function host(grep: CommandResult): { run: Runner; calls: string[][] } {
    const calls: string[][] = [];
    const run: Runner = async (argv) => {
      calls.push([...argv]);
      if (argv[0] === 'systemctl') return { exitCode: 0, stdout: SHOW, stderr: '' };
      if (argv.includes('--grep')) return grep;
      return { exitCode: 0, stdout: RACE, stderr: '' };
    };
    return { run, calls };
  }
  const newestFirst = RACE.trimEnd().split('\n').reverse().join('\n');

  it('uses the --grep answer, newest first, in journal order', async () => {
    const h = host({ exitCode: 0, stdout: `${newestFirst}\n`, stderr: '' });
    const evidence = await collectEvidence(h.run, 'kubelet.service');
    expect(evidence.journalSource).toBe('grep');
    expect(evidence.initLines.map((l) => `${l.kind} ${l.protocol}`)).toEqual([
      'initialized IPv4',
      'failed IPv4',
      'initialized IPv6',
    ]);
    expect(h.calls.filter((c) => c[0] === 'journalctl')).toEqual([unitJournalInitLines('kubelet.service')]);
  });

  it('scans when --grep failed otherwise, and says why', async () => {
    const h = host({ exitCode: 1, stdout: '', stderr: 'Failed to open journal: Permission denied\n' });
    const evidence = await collectEvidence(h.run, 'kubelet.service');
    expect(evidence.journalSource).toBe('scan');
    expect(evidence.initLines).toHaveLength(3);
    expect(evidence.errors).toEqual([
      'journalctl --grep: exit status 1: Failed to open journal: Permission denied',
    ]);
    expect(h.calls.filter((c) => c[0] === 'journalctl')).toEqual([
      unitJournalInitLines('kubelet.service'),
      unitJournal('kubelet.service'),
    ]);
  });
});
