import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLegacyTables } from '../../src/agent/legacy-tables.js';

/** /proc/net/ip_tables_names as the probe reads it; a temporary directory plays /proc/net. */

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chainmedic-procnet-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readLegacyTables', () => {
  it('lists the tables, one a line, sorted', async () => {
    writeFileSync(join(dir, 'ip_tables_names'), 'mangle\nfilter\n');
    expect(await readLegacyTables('ipv4', dir)).toEqual(['filter', 'mangle']);
  });

  it('reads ip6_tables_names for IPv6', async () => {
    writeFileSync(join(dir, 'ip_tables_names'), 'filter\n');
    writeFileSync(join(dir, 'ip6_tables_names'), 'mangle\n');
    expect(await readLegacyTables('ipv6', dir)).toEqual(['mangle']);
  });

  it('an empty file (a fresh network namespace) is no table', async () => {
    writeFileSync(join(dir, 'ip_tables_names'), '');
    expect(await readLegacyTables('ipv4', dir)).toEqual([]);
  });

  it('no file (no legacy iptables in the kernel) is no table', async () => {
    expect(await readLegacyTables('ipv4', dir)).toEqual([]);
  });

  it('no /proc/net at all is unknown', async () => {
    expect(await readLegacyTables('ipv4', join(dir, 'missing'))).toBeNull();
  });

  it('a file that cannot be read is unknown', async () => {
    mkdirSync(join(dir, 'ip_tables_names'));
    expect(await readLegacyTables('ipv4', dir)).toBeNull();
  });
});
