import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { collectEvidence } from '../../src/agent/collect-evidence.js';
import { JOURNAL_LINES, unitJournal, unitJournalInitLines } from '../../src/agent/host-commands.js';
import { processRunner } from '../../src/agent/runner.js';
import { writeFakeJournalctl, type JournalKind } from './fake-host.js';
import { makeTempDir, writeExecutable, type TempDir } from './support.js';

/**
 * collectEvidence against `journalctl` scripts run as processes: one with --grep, one built
 * without PCRE2 that refuses it. Both must give kubelet's init lines; only --grep finds
 * them behind more than JOURNAL_LINES lines of other kubelet output.
 */

const RACE = readFileSync(resolve('test/agent/fixtures/kubelet-journal-race.txt'), 'utf8');
const NOISE_LINE = (i: number) =>
  `2026-11-24T19:40:00+0000 node-1 kubelet[2825]: E1124 19:40:00.000000    2825 pod_workers.go:1300] "Error syncing pod" n=${i}`;

let temp: TempDir;
afterEach(() => temp.remove());

function fakeHost(kind: JournalKind, journal: string) {
  temp = makeTempDir('chainmedic-journal-');
  const file = join(temp.path, 'journal.txt');
  writeFileSync(file, journal);
  const log = join(temp.path, 'calls.log');
  writeFakeJournalctl(temp.path, log, { kind, file });
  // systemctl show: kubelet started at 19:35:44, iptables at 19:35:46 (the race).
  writeExecutable(
    join(temp.path, 'systemctl'),
    `#!/bin/sh
if [ "$2" = iptables.service ]; then at='Tue 2026-11-24 19:35:46 UTC'; else at='Tue 2026-11-24 19:35:44 UTC'; fi
printf 'ActiveState=active\\nActiveEnterTimestamp=%s\\n' "$at"
`,
  );
  return {
    run: processRunner(['env', `PATH=${temp.path}:${process.env.PATH ?? ''}`]),
    calls: () => readFileSync(log, 'utf8').trim().split('\n'),
  };
}

const summary = (lines: { kind: string; protocol: string | null; timestamp: string | null }[]) =>
  lines.map((l) => `${l.kind} ${l.protocol} ${l.timestamp}`);

const RACE_LINES = [
  'initialized IPv4 2026-11-24T19:30:02.000Z',
  'failed IPv4 2026-11-24T19:35:45.000Z',
  'initialized IPv6 2026-11-24T19:35:45.000Z',
];

describe('collectEvidence reads kubelet init lines from the journal', () => {
  it('with --grep: the matches, newest first, put back in the journal order', async () => {
    const host = fakeHost('grep', RACE);

    const evidence = await collectEvidence(host.run, 'kubelet.service');

    expect(summary(evidence.initLines)).toEqual(RACE_LINES);
    expect(evidence).toMatchObject({ journalSource: 'grep', errors: [] });
    expect(host.calls()).toEqual([
      `journalctl ${unitJournalInitLines('kubelet.service').slice(1).join(' ')}`,
    ]);
  });

  it('without pattern matching support: falls back to the bounded scan, and says nothing is wrong', async () => {
    const host = fakeHost('no-grep', RACE);

    const evidence = await collectEvidence(host.run, 'kubelet.service');

    expect(summary(evidence.initLines)).toEqual(RACE_LINES);
    expect(evidence).toMatchObject({ journalSource: 'scan', errors: [] });
    expect(host.calls()).toEqual([
      `journalctl ${unitJournalInitLines('kubelet.service').slice(1).join(' ')}`,
      `journalctl ${unitJournal('kubelet.service').slice(1).join(' ')}`,
    ]);
  });

  it('with --grep, finds the failed init behind more lines than the scan reads', async () => {
    const noise = Array.from({ length: JOURNAL_LINES + 500 }, (_, i) => NOISE_LINE(i)).join('\n');
    const journal = `${RACE}${noise}\n`;

    const withGrep = await collectEvidence(fakeHost('grep', journal).run, 'kubelet.service');
    temp.remove();
    const scanned = await collectEvidence(fakeHost('no-grep', journal).run, 'kubelet.service');

    expect(summary(withGrep.initLines)).toEqual(RACE_LINES);
    // What the issue was about: the bounded scan alone no longer reaches kubelet's start.
    expect(scanned.initLines).toEqual([]);
  });

  it('with --grep and no init line at all: an empty answer (journalctl exits 1), no scan, no error', async () => {
    const host = fakeHost('grep', `${NOISE_LINE(1)}\n`);

    const evidence = await collectEvidence(host.run, 'kubelet.service');

    expect(evidence).toMatchObject({ initLines: [], journalSource: 'grep', errors: [] });
    expect(host.calls()).toHaveLength(1);
  });
});
