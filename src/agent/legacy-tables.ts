import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Family } from './chains.js';

/**
 * The legacy (x_tables) tables that exist in a network namespace, as the kernel lists them
 * to a reader in that namespace. The agent runs with hostNetwork, so its /proc/net is the node's.
 */

export const DEFAULT_PROC_NET = '/proc/net';

const NAMES_FILE: Record<Family, string> = { ipv4: 'ip_tables_names', ipv6: 'ip6_tables_names' };

/**
 * The names in /proc/net/ip_tables_names (ip6_tables_names for IPv6), sorted. The file is
 * empty in a fresh namespace and missing when the kernel has no legacy iptables support
 * loaded: both mean no legacy table exists. Listing a legacy table creates it in the
 * namespace when the kernel can, so read this before any legacy command. Null when it
 * cannot be known (the file is unreadable, or there is no /proc/net at all).
 */
export async function readLegacyTables(
  family: Family,
  procNet: string = DEFAULT_PROC_NET,
): Promise<string[] | null> {
  try {
    const text = await readFile(join(procNet, NAMES_FILE[family]), 'utf8');
    return text
      .split('\n')
      .map((name) => name.trim())
      .filter((name) => name !== '')
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    return (await isDirectory(procNet)) ? [] : null;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
