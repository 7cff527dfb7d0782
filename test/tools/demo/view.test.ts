import { FleetTimeline } from '../../../tools/bench/timeline.js';
import { LiveBlock } from '../../../tools/demo/terminal.js';
import {
  ANSI_STYLE,
  PLAIN_STYLE,
  buildRows,
  describeChange,
  fitTable,
  renderTable,
} from '../../../tools/demo/view.js';

function fleetTimeline(): FleetTimeline {
  const t = new FleetTimeline();
  t.apply('nodes', 'ADDED', { metadata: { name: 'node-a', labels: { 'kubernetes.io/os': 'linux' } } }, 0);
  t.apply('nodes', 'ADDED', { metadata: { name: 'node-b', labels: { 'kubernetes.io/os': 'linux' } } }, 0);
  t.apply(
    'noderemediations',
    'ADDED',
    {
      metadata: { name: 'node-a-1' },
      spec: { nodeName: 'node-a', trigger: {} },
      status: { phase: 'Remediating', reason: 'Cordoned' },
    },
    1_000,
  );
  return t;
}

describe('demo view', () => {
  const rows = () =>
    buildRows({
      nodes: [
        { name: 'node-a', role: 'race' },
        { name: 'node-b', role: 'healthy' },
      ],
      timeline: fleetTimeline(),
      kubeletRestarts: (n) => (n === 'node-a' ? 1 : 0),
      verdicts: new Map(),
      nowMs: 3_500,
    });

  it('shows each node with its remediation phase, restarts and elapsed time', () => {
    const [a, b] = rows();
    expect(a).toMatchObject({ phase: 'Remediating', reason: 'Cordoned', restarts: '1', time: '2.5s' });
    expect(b).toMatchObject({ phase: '-', restarts: '0', time: '', chains: '-' });
  });

  it("shows the chains as the node's KubeletIPTablesInitFailed condition says, and azure-npm the timeline missed", () => {
    const [a, b] = buildRows({
      nodes: [
        { name: 'node-a', role: 'race' },
        { name: 'node-b', role: 'latent' },
      ],
      timeline: fleetTimeline(),
      kubeletRestarts: () => 0,
      verdicts: new Map(),
      nowMs: 3_500,
      chainsCondition: (n) => (n === 'node-a' ? 'False' : 'True'),
      npmReady: (n) => (n === 'node-b' ? true : undefined),
    });
    expect(a).toMatchObject({ chains: 'present', npm: 'starting' });
    expect(b).toMatchObject({ chains: 'missing', npm: 'Ready', role: 'latent race' });
    expect(renderTable([a!, b!], PLAIN_STYLE)[0]).toMatch(/^NODE\s+CASE\s+AZURE-NPM\s+CHAINS\s+REMEDIATION/);
  });

  it('aligns the columns the same with and without colour', () => {
    const plain = renderTable(rows(), PLAIN_STYLE);
    const colored = renderTable(rows(), ANSI_STYLE).map((l) =>
      l.replace(new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m', 'g'), ''),
    );
    expect(colored).toEqual(plain);
    expect(plain[0]).toMatch(/^NODE\s+CASE\s+AZURE-NPM\s+CHAINS\s+REMEDIATION/);
    expect(plain[1]!.indexOf('Remediating')).toBe(plain[0]!.indexOf('REMEDIATION'));
  });

  it('cuts the table to a narrow terminal, without colour so nothing wraps', () => {
    const wide = fitTable(rows(), ANSI_STYLE, 500);
    expect(wide.join('')).toContain('\x1b[');
    const narrow = fitTable(rows(), ANSI_STYLE, 60);
    expect(narrow.every((l) => l.length <= 59)).toBe(true);
    expect(narrow.join('')).not.toContain('\x1b[');
  });

  it('describes a phase change with the time since start', () => {
    const t = fleetTimeline();
    const line = describeChange(
      { kind: 'remediation', node: 'node-a', remediation: 'node-a-1', atMs: 1_000 },
      t,
      0,
      () => 'Cordoning',
    );
    expect(line).toBe('+  1.0s  node-a  Cordoning -> Remediating (Cordoned)');
  });

  it('says what opened a remediation when it is not a crash loop', () => {
    const created = (trigger?: (name: string) => string | undefined) =>
      describeChange(
        { kind: 'remediation', node: 'node-a', remediation: 'node-a-1', atMs: 1_000 },
        fleetTimeline(),
        0,
        () => undefined,
        trigger,
      );
    expect(created()).toBe('+  1.0s  node-a  NodeRemediation node-a-1 created: Remediating (Cordoned)');
    expect(created(() => 'by the audit, probe KubeletStarted')).toBe(
      '+  1.0s  node-a  NodeRemediation node-a-1 created (by the audit, probe KubeletStarted): Remediating (Cordoned)',
    );
  });

  it('redraws a block in place and clears leftover lines', () => {
    let written = '';
    const block = new LiveBlock({ write: (s) => ((written += s), true) });
    block.draw(['a', 'b']);
    block.draw(['c']);
    block.release();
    expect(written).toBe('\x1b[?25l\x1b[2Ka\n\x1b[2Kb\n\x1b[2F\x1b[2Kc\n\x1b[J\x1b[?25h');
  });
});
