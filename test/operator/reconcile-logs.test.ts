import { pino } from 'pino';
import { eventually } from '../kit/eventually.js';
import { phaseOf, startEnv, type Env } from '../kit/env.js';

/** Every line one reconcile logs carries its reconcileID; one reconcile is about one node. */

interface Line {
  msg: string;
  node?: string;
  reconcileID?: string;
}

describe('reconcile logs', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('each reconcile has its own reconcileID, on its own lines and on the detector verdict it reaches', async () => {
    env = await startEnv({ linuxNodes: 3, broken: 1 });
    const [broken] = env.cluster.brokenNodes().map((b) => b.node);
    const lines: Line[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
    await env.start({ logger });
    await eventually(
      () => env!.remediationsOn(broken!).some((r) => phaseOf(r) === 'Succeeded'),
      'the broken node remediated',
    );

    const reconciled = lines.filter((l) => l.msg === 'reconciled');
    expect(reconciled.length).toBeGreaterThan(3);
    for (const l of reconciled) expect(l.reconcileID).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(reconciled.map((l) => l.reconcileID)).size).toBe(reconciled.length);

    // The verdict is logged by the detector during a reconcile of the broken node: it carries that reconcile's id.
    const confirmed = lines.find((l) => l.msg === 'crash loop confirmed by its previous log');
    expect(confirmed?.reconcileID).toBeDefined();
    const sameReconcile = lines.filter((l) => l.reconcileID === confirmed!.reconcileID);
    expect(sameReconcile.map((l) => l.msg)).toContain('reconciled');
    expect(new Set(sameReconcile.map((l) => l.node))).toEqual(new Set([broken]));
  });
});
