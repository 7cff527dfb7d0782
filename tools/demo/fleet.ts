/**
 * The demo's fleet: a few nodes, each showing one behaviour. Pure: names in, roles out.
 */
export const DEMO_ROLES = [
  'race',
  'npm-image-bug',
  'opted-out',
  'pre-cordoned',
  'latent',
  'windows',
  'healthy',
] as const;
export type DemoRole = (typeof DEMO_ROLES)[number];

export interface DemoNode {
  name: string;
  role: DemoRole;
}

/** What the role means, as the table and the summary show it. */
export const ROLE_LABEL: Record<DemoRole, string> = {
  race: 'init race',
  'npm-image-bug': 'npm image bug',
  'opted-out': 'race, opted out',
  'pre-cordoned': 'race, cordoned',
  latent: 'latent race',
  windows: 'windows',
  healthy: 'healthy',
};

/** What chainmedic should do there, in words. */
export const ROLE_EXPECTATION: Record<DemoRole, string> = {
  race: 'Succeeded with exactly one kubelet restart, uncordoned',
  'npm-image-bug': 'Skipped (ChainsPresent), kubelet not restarted',
  'opted-out': 'untouched (chainmedic.io/opt-out="true")',
  'pre-cordoned': 'Succeeded with one kubelet restart, left cordoned as the admin had it',
  latent:
    'found by the probe (source Audit), Succeeded with exactly one kubelet restart, azure-npm never restarted',
  windows: 'untouched (not linux)',
  healthy: 'untouched',
};

/** The linux layout, in order; nodes beyond it are healthy. */
const LINUX_LAYOUT: readonly DemoRole[] = [
  'race',
  'race',
  'race',
  'npm-image-bug',
  'opted-out',
  'pre-cordoned',
  'healthy',
  // Last in name order, so the rolling audit's first round (never-probed nodes by name) leaves it to the probe
  // after its kubelet's start.
  'latent',
];

/** How many linux nodes the layout needs; the demo runs with at least this many. */
export const DEMO_MIN_LINUX = LINUX_LAYOUT.length;

export function planDemoFleet(linux: readonly string[], windows: readonly string[]): DemoNode[] {
  if (linux.length < DEMO_MIN_LINUX) {
    throw new Error(`the demo needs at least ${DEMO_MIN_LINUX} linux nodes, got ${linux.length}`);
  }
  return [
    ...linux.map((name, i) => ({ name, role: LINUX_LAYOUT[i] ?? ('healthy' as const) })),
    ...windows.map((name) => ({ name, role: 'windows' as const })),
  ];
}

/**
 * How the simulated cluster breaks the role's node (null: it stays healthy). `latent`: kubelet restarts and loses
 * the iptables race while azure-npm keeps running (it checks the chains only when it starts).
 */
export function breakOf(
  role: DemoRole,
): { cause: 'kubelet-init-race' | 'npm-image-bug'; latent?: true } | null {
  switch (role) {
    case 'race':
    case 'opted-out':
    case 'pre-cordoned':
      return { cause: 'kubelet-init-race' };
    case 'latent':
      return { cause: 'kubelet-init-race', latent: true };
    case 'npm-image-bug':
      return { cause: 'npm-image-bug' };
    default:
      return null;
  }
}
