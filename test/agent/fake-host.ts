import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir, writeExecutable, type TempDir } from './support.js';

/**
 * A fake host for `agent remediate --host local`: `systemctl` and `journalctl` scripts first
 * on PATH that record every call and play kubelet. Run inside `ip netns exec`, the fake's
 * iptables calls change that namespace, as a restarted kubelet would.
 */

const JOURNAL_FIXTURE = resolve('test/agent/fixtures/kubelet-journal-race.txt');

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

  create(behaviour: RestartBehaviour): FakeHost {
    const temp = makeTempDir('chainmedic-fake-host-');
    this.dirs.push(temp);
    return fakeHostIn(temp.path, behaviour);
  }

  removeAll(): void {
    for (const dir of this.dirs) dir.remove();
    this.dirs = [];
  }
}

function fakeHostIn(dir: string, behaviour: RestartBehaviour): FakeHost {
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
  writeExecutable(
    join(dir, 'journalctl'),
    `#!/bin/sh
echo "journalctl $*" >> '${log}'
cat '${JOURNAL_FIXTURE}'
`,
  );
  return {
    dir,
    log,
    path: `${dir}:${process.env.PATH ?? ''}`,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}
