import { createRandom } from '../../../../tools/sim/actors/random.js';
import { imageCatalog, nodeIdentities } from '../../../../tools/sim/actors/node-factory.js';
import { microTime, nodeLease, registrationNode } from '../../../../tools/sim/nodes/node-object.js';

describe('the Node a simulated kubelet registers with a real API server', () => {
  const random = createRandom(3);
  const [linux, windows] = nodeIdentities(1, 1, random);
  const ctx = { random, images: imageCatalog(random), createdWallMs: 0, nowIso: '2026-01-01T00:00:00Z' };

  it.each([linux, windows])('carries only a loopback address and the shared kubelet port (%#)', (id) => {
    const node = registrationNode(id!, ctx, 43210);
    const status = node.status as Record<string, unknown>;
    // The API server dials these for logs, exec and port-forward: nothing outside 127.0.0.0/8.
    expect(status.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.1' }]);
    expect(status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 43210 } });
    expect(JSON.stringify(node)).not.toMatch(/"address":"(?!127\.)/);
    expect(node.metadata.uid).toBeUndefined();
    expect(node.metadata.creationTimestamp).toBeUndefined();
    expect((node.status as { allocatable: { pods: string } }).allocatable.pods).toBe('30');
  });

  it('owns its Lease by the Node', () => {
    const lease = nodeLease('n1', 'uid-1', Date.UTC(2026, 0, 1, 0, 0, 1, 234));
    expect(lease.metadata).toMatchObject({
      name: 'n1',
      namespace: 'kube-node-lease',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }],
    });
    expect((lease.spec as { renewTime: string }).renewTime).toBe('2026-01-01T00:00:01.234000Z');
    expect(microTime(0)).toBe('1970-01-01T00:00:00.000000Z');
  });
});
