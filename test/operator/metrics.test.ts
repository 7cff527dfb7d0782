import { eventually } from '../kit/eventually.js';
import { phaseOf, startEnv, type Env } from '../kit/env.js';

describe('operator metrics and health', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('serves /readyz once synced and counts detections, outcomes, requests and the leader', async () => {
    env = await startEnv({ linuxNodes: 3, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    const op = await env.start({ metricsPort: 0, metricsHost: '127.0.0.1' });
    const url = op.metricsUrl()!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await op.ready();
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz 200');
    await eventually(() => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded', 'Succeeded');
    let text = '';
    await eventually(async () => {
      text = await (await fetch(`${url}/metrics`)).text();
      return /chainmedic_nodes\{[^}]*\} 3/.test(text);
    }, 'fleet gauges published');
    expect(text).toMatch(/chainmedic_detections_total\{result="confirmed"\} [1-9]/);
    expect(text).toMatch(/chainmedic_remediations_total\{outcome="Succeeded",reason="Remediated"\} 1/);
    expect(text).toMatch(/chainmedic_leader 1/);
    expect(text).toMatch(/chainmedic_kube_requests_total\{[^}]*code="201"[^}]*\} [1-9]/);
  });
});
