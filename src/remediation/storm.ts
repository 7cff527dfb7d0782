/**
 * explainStorm(affected, fleet): when the storm guard holds, say what the affected nodes share. Pure: no I/O,
 * no clock; O(fleet + affected) (one pass each, a few map updates per node), so a 5,000-node fleet can be
 * explained on every reconcile.
 *
 * Decisions:
 * - The suspect comes from the probe findings alone (the KubeletIPTablesInitFailed condition of each affected
 *   node). A node is probed when it has a finding; 'unknown' counts as probed but inconclusive. With at least
 *   MIN_PROBED probed (or every affected node probed, in a smaller storm), chains `present` on a strict
 *   majority of the probed -> 'image' (azure-npm cannot see chains that exist: restarting kubelet will not help,
 *   releasing the storm guard would be wrong); `missing` on a strict majority -> 'kubelet' (the start-up race:
 *   restarting kubelet heals); anything else -> 'unknown'. The headline always says "probed P of A".
 * - A group is one (attribute, value): `affected` nodes of the storm hold it, `fleet` nodes of the fleet do.
 *   It is ranked by how much more of the storm than of the fleet holds it, coverage - fleetShare =
 *   affected/A - fleet/F (A, F the storm's and the fleet's sizes). A value the whole fleet runs scores 0 however
 *   many affected nodes run it ("50 of 50 run image X" when all 5,000 do says nothing); one held by 48 of 50
 *   affected but 60 of 5,000 scores 0.95; one held by a single affected node scores at most 1/A, however rare it
 *   is (lift alone would rank that first). The score is compared exactly, as the integer affected*F - fleet*A.
 *   Only over-represented groups (score > 0) are listed. Ties: attribute order (the order of STORM_ATTRIBUTES),
 *   then value (code-unit order, not locale): the same input, in any order, gives the same output.
 * - The headline names the best-ranked attribute other than the finding (the finding is its own clause) that
 *   most affected nodes share (more than half) and that is telling (its share of the storm at least MIN_LIFT
 *   times its share of the fleet); if there is none, it says nothing sets the storm apart. Then the finding.
 * - A node without a value for an attribute is in no group of that attribute (never "undefined"); an empty
 *   string is no value either. Nodes are counted once per name (the first occurrence wins). An affected node
 *   missing from the fleet still counts in the fleet (a group never holds more of the storm than of the fleet).
 * - The headline stays under HEADLINE_MAX characters: a value is cut in the middle (keeping the tag of an image
 *   ref) to VALUE_MAX, control characters are replaced, and the whole is cut as a last resort.
 */

export type StormAttribute =
  'finding' | 'npmImage' | 'nodeImageVersion' | 'agentPool' | 'osImage' | 'kernelVersion' | 'zone';

export interface NodeFacts {
  name: string;
  /** label kubernetes.azure.com/agentpool */
  agentPool?: string;
  /** label kubernetes.azure.com/node-image-version */
  nodeImageVersion?: string;
  /** status.nodeInfo.osImage */
  osImage?: string;
  /** status.nodeInfo.kernelVersion */
  kernelVersion?: string;
  /** label topology.kubernetes.io/zone */
  zone?: string;
  /** The azure-npm pod's container image on that node. */
  npmImage?: string;
  /** The last probe of the node's chains (its KubeletIPTablesInitFailed condition): absent = never probed. */
  finding?: 'missing' | 'present' | 'unknown';
}

export interface StormGroup {
  attribute: StormAttribute;
  value: string;
  /** Affected nodes holding the value. */
  affected: number;
  /** Fleet nodes holding the value (the affected ones included). */
  fleet: number;
}

export interface StormExplanation {
  /** The top groups (at most `maxGroups`), most telling first. */
  groups: StormGroup[];
  /** What most affected nodes share, and what the probes found, as one sentence. */
  headline: string;
  /** 'image': chains present on most probed affected nodes; 'kubelet': chains missing; 'unknown': not enough probed. */
  suspect: 'image' | 'kubelet' | 'unknown';
}

/** The attributes, in tie-break order. */
export const STORM_ATTRIBUTES: readonly StormAttribute[] = [
  'finding',
  'npmImage',
  'nodeImageVersion',
  'agentPool',
  'osImage',
  'kernelVersion',
  'zone',
];

export const DEFAULT_MAX_GROUPS = 5;
/** Probed affected nodes needed to name a suspect (fewer only when every affected node is probed). */
export const MIN_PROBED = 3;
/** A shared value names the storm when its share of the storm is at least this many times its fleet share. */
export const MIN_LIFT = 2;
export const HEADLINE_MAX = 399;
const VALUE_MAX = 120;

/** How the headline says the affected nodes hold a value. */
const PHRASE: Record<Exclude<StormAttribute, 'finding'>, string> = {
  npmImage: 'run azure-npm image',
  nodeImageVersion: 'run node image version',
  agentPool: 'are in node pool',
  osImage: 'run OS image',
  kernelVersion: 'run kernel',
  zone: 'are in zone',
};

/** Per attribute: value -> nodes holding it. */
type Counts = ReadonlyMap<StormAttribute, ReadonlyMap<string, number>>;

/** Nodes once per name, first occurrence wins. */
function uniqueByName(nodes: readonly NodeFacts[]): NodeFacts[] {
  const seen = new Set<string>();
  const out: NodeFacts[] = [];
  for (const node of nodes) {
    if (seen.has(node.name)) continue;
    seen.add(node.name);
    out.push(node);
  }
  return out;
}

/** Counts of the nodes' values. No value (absent or empty), no count. */
function countValues(nodes: readonly NodeFacts[]): Counts {
  const counts = new Map<StormAttribute, Map<string, number>>();
  for (const attribute of STORM_ATTRIBUTES) {
    const byValue = new Map<string, number>();
    for (const node of nodes) {
      const value = node[attribute];
      if (typeof value === 'string' && value !== '') byValue.set(value, (byValue.get(value) ?? 0) + 1);
    }
    counts.set(attribute, byValue);
  }
  return counts;
}

interface Ranked extends StormGroup {
  order: number;
  score: number;
}

function compareRanked(a: Ranked, b: Ranked): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.order !== b.order) return a.order - b.order;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Over-represented groups, best first. Sizes: a = storm, f = fleet (f >= a). */
function rank(affected: Counts, fleet: Counts, a: number, f: number): Ranked[] {
  const ranked: Ranked[] = [];
  STORM_ATTRIBUTES.forEach((attribute, order) => {
    for (const [value, inStorm] of affected.get(attribute) ?? []) {
      const inFleet = Math.max(fleet.get(attribute)?.get(value) ?? 0, inStorm);
      // coverage - fleetShare, times a*f: exact in integers (5,000 * 5,000 is far below 2^53).
      const score = inStorm * f - inFleet * a;
      if (score > 0) ranked.push({ attribute, value, affected: inStorm, fleet: inFleet, order, score });
    }
  });
  return ranked.sort(compareRanked);
}

/** The first ranked group most affected nodes share and that is telling, the finding aside. */
function sharedGroup(ranked: readonly Ranked[], a: number, f: number): Ranked | undefined {
  return ranked.find(
    (g) => g.attribute !== 'finding' && 2 * g.affected > a && g.affected * f >= MIN_LIFT * g.fleet * a,
  );
}

interface Findings {
  probed: number;
  missing: number;
  present: number;
}

function tally(nodes: readonly NodeFacts[]): Findings {
  const t: Findings = { probed: 0, missing: 0, present: 0 };
  for (const node of nodes) {
    if (node.finding === undefined) continue;
    t.probed++;
    if (node.finding === 'missing') t.missing++;
    else if (node.finding === 'present') t.present++;
  }
  return t;
}

function suspectOf(t: Findings, a: number): StormExplanation['suspect'] {
  if (t.probed === 0 || t.probed < Math.min(MIN_PROBED, a)) return 'unknown';
  if (2 * t.present > t.probed) return 'image';
  if (2 * t.missing > t.probed) return 'kubelet';
  return 'unknown';
}

/** A value fit for one line: control characters replaced, cut in the middle past VALUE_MAX. */
function shown(value: string): string {
  const clean = value.replace(/\p{Cc}/gu, '?');
  if (clean.length <= VALUE_MAX) return clean;
  const tail = 40;
  return `${clean.slice(0, VALUE_MAX - tail - 1)}…${clean.slice(clean.length - tail)}`;
}

function findingClause(t: Findings, a: number, suspect: StormExplanation['suspect']): string {
  const probed = `probed ${t.probed} of ${a}`;
  switch (suspect) {
    case 'image':
      return `chains present on ${t.present} (${probed}): suspect the azure-npm image, not kubelet (restarting kubelet will not help)`;
    case 'kubelet':
      return `chains missing on ${t.missing} (${probed}): suspect kubelet's iptables init (restarting kubelet heals)`;
    default: {
      const other = t.probed - t.missing - t.present;
      const seen = t.probed === 0 ? '' : ` (${t.missing} missing, ${t.present} present, ${other} unknown)`;
      return `${probed}${seen}: too few probed or too mixed to tell kubelet from the image`;
    }
  }
}

function sharedClause(group: Ranked | undefined, a: number, f: number): string {
  if (group === undefined || group.attribute === 'finding') {
    return `Nothing most of the ${a} affected nodes share sets them apart from the ${f} Linux nodes`;
  }
  const phrase = PHRASE[group.attribute];
  return `${group.affected} of ${a} affected nodes ${phrase} ${shown(group.value)} (${group.fleet} of ${f} Linux nodes do)`;
}

function bounded(text: string): string {
  return text.length <= HEADLINE_MAX ? text : `${text.slice(0, HEADLINE_MAX - 1)}…`;
}

/** `affected` is a subset of `fleet` (all Linux nodes). O(fleet) at most; fleet may be 5,000 nodes. */
export function explainStorm(
  affected: readonly NodeFacts[],
  fleet: readonly NodeFacts[],
  maxGroups: number = DEFAULT_MAX_GROUPS,
): StormExplanation {
  const storm = uniqueByName(affected);
  const a = storm.length;
  if (a === 0) return { groups: [], headline: 'No affected nodes: no storm to explain.', suspect: 'unknown' };
  const all = uniqueByName([...fleet, ...storm]);
  const f = all.length;
  const ranked = rank(countValues(storm), countValues(all), a, f);
  const findings = tally(storm);
  const suspect = suspectOf(findings, a);
  const limit = Number.isFinite(maxGroups) ? Math.max(0, Math.floor(maxGroups)) : DEFAULT_MAX_GROUPS;
  const groups = ranked.slice(0, limit).map(({ attribute, value, affected: inStorm, fleet: inFleet }) => ({
    attribute,
    value,
    affected: inStorm,
    fleet: inFleet,
  }));
  const headline = bounded(
    `${sharedClause(sharedGroup(ranked, a, f), a, f)}; ${findingClause(findings, a, suspect)}.`,
  );
  return { groups, headline, suspect };
}
