/**
 * The demo's fleet: a few nodes, each showing one behaviour. Pure: names in, roles out.
 */
export const DEMO_ROLES = [
  'race',
  'npm-image-bug',
  'opted-out',
  'pre-cordoned',
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
  windows: 'windows',
  healthy: 'healthy',
};

/** What chainmedic should do there, in words. */
export const ROLE_EXPECTATION: Record<DemoRole, string> = {
  race: 'Succeeded with exactly one kubelet restart, uncordoned',
  'npm-image-bug': 'Skipped (ChainsPresent), kubelet not restarted',
  'opted-out': 'untouched (chainmedic.io/opt-out="true")',
  'pre-cordoned': 'Succeeded with one kubelet restart, left cordoned as the admin had it',
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

/** Roles whose node gets broken (the cause the simulated cluster injects). */
export function breakCauseOf(role: DemoRole): 'kubelet-init-race' | 'npm-image-bug' | null {
  switch (role) {
    case 'race':
    case 'opted-out':
    case 'pre-cordoned':
      return 'kubelet-init-race';
    case 'npm-image-bug':
      return 'npm-image-bug';
    default:
      return null;
  }
}
