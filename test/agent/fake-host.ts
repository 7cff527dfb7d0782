import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir, writeExecutable, type TempDir } from './support.js';

/**
 * A fake host for `agent remediate --host local`: `systemctl` and `journalctl` scripts first
 * on PATH that record every call and play kubelet. Run inside `ip netns exec`, the fake's
 * iptables calls change that namespace, as a restarted kubelet would.
 */

const JOURNAL_FIXTURE = resolve('test/agent/fixtures/kubelet-journal-race.txt');

/** `grep`: a journalctl with pattern matching; `no-grep`: one built without PCRE2, which refuses --grep. */
export type JournalKind = 'grep' | 'no-grep';

export interface FakeJournal {
  kind: JournalKind;
  /** The unit's journal of the current boot, oldest first (default: the race fixture). */
  file?: string;
}

/**
 * A `journalctl` script that answers the agent's two queries from a file: --grep (grep -E),
 * --reverse, -n as journalctl does (with --grep, exit 1 and "-- No entries --" when nothing
 * matches), or, as kind `no-grep`, refuses --grep in the words of a journalctl built without PCRE2.
 */
export function writeFakeJournalctl(dir: string, log: string, journal: FakeJournal): void {
  const file = journal.file ?? JOURNAL_FIXTURE;
  writeExecutable(
    join(dir, 'journalctl'),
    `#!/bin/sh
echo "journalctl $*" >> '${log}'
pattern=''; reverse=''; lines=''
while [ $# -gt 0 ]; do
  case "$1" in
    --grep) pattern=$2; shift ;;
    --reverse) reverse=1 ;;
    -n) lines=$2; shift ;;
    -u|-o) shift ;;
  esac
  shift
done
if [ -n "$pattern" ]; then
  if [ '${journal.kind}' = no-grep ]; then echo 'Compiled without pattern matching support' >&2; exit 1; fi
  if ! grep -E -q -- "$pattern" '${file}'; then echo '-- No entries --'; exit 1; fi
  if [ -n "$reverse" ]; then order=tac; else order=cat; fi
  grep -E -- "$pattern" '${file}' | $order | head -n "\${lines:-1000000}"
else
  tail -n "\${lines:-1000000}" '${file}'
fi
`,
  );
}

/** What the fake kubelet does on `systemctl restart`. */
export type RestartBehaviour = 'creates-chains' | 'fails' | 'creates-nothing';

const RESTART_ACTIONS: Record<RestartBehaviour, string> = {
  'creates-chains': [
    'touch "$STATE/active"',
    'iptables-nft -t mangle -N KUBE-IPTABLES-HINT',
    'iptables-nft -t mangle -N KUBE-KUBELET-CANARY',
  ].join('\n    '),
  fails:
    'echo "Job for kubelet.service failed because the control process exited with error code." >&2; exit 1',
  'creates-nothing': 'touch "$STATE/active"',
};

export interface FakeHost {
  dir: string;
  log: string;
  path: string;
  calls(): string[];
}

/** Fake hosts in temp dirs; removeAll() after each test. */
export class FakeHosts {
  private dirs: TempDir[] = [];

  create(behaviour: RestartBehaviour, journal: FakeJournal = { kind: 'grep' }): FakeHost {
    const temp = makeTempDir('chainmedic-fake-host-');
    this.dirs.push(temp);
    return fakeHostIn(temp.path, behaviour, journal);
  }

  removeAll(): void {
    for (const dir of this.dirs) dir.remove();
    this.dirs = [];
  }
}

function fakeHostIn(dir: string, behaviour: RestartBehaviour, journal: FakeJournal): FakeHost {
  const log = join(dir, 'calls.log');
  writeExecutable(
    join(dir, 'systemctl'),
    `#!/bin/sh
STATE='${dir}'
echo "systemctl $*" >> '${log}'
case "$1" in
  restart)
    ${RESTART_ACTIONS[behaviour]}
    ;;
  is-active)
    if [ -f "$STATE/active" ]; then echo active; exit 0; else echo inactive; exit 3; fi
    ;;
  show)
    if [ "$2" = iptables.service ]; then at='Tue 2026-11-24 19:35:46 UTC'; else at='Tue 2026-11-24 19:35:44 UTC'; fi
    printf 'ActiveState=active\\nActiveEnterTimestamp=%s\\n' "$at"
    ;;
  *) exit 1 ;;
esac
`,
  );
  writeFakeJournalctl(dir, log, journal);
  return {
    dir,
    log,
    path: `${dir}:${process.env.PATH ?? ''}`,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}
