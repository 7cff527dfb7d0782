import { parseOperatorOptions } from '../../src/config.js';

describe('parseOperatorOptions', () => {
  it('defaults', () => {
    expect(parseOperatorOptions({})).toEqual({
      ok: true,
      options: {
        namespace: 'chainmedic-system',
        leaderElect: false,
        agentImage: 'chainmedic:dev',
        agentNamespace: 'chainmedic-agent',
        allowedAgentImages: [],
        logLevel: 'info',
        metricsPort: 8080,
        webhookPort: 9443,
        webhookCerts: 'self-managed',
      },
    });
  });

  it('takes flags, with strings from commander converted', () => {
    const result = parseOperatorOptions({
      kubeconfig: '/tmp/kc',
      namespace: 'ops',
      leaderElect: true,
      agentImage: 'registry.example/chainmedic@sha256:abc',
      logLevel: 'debug',
      metricsPort: '9090',
    });
    expect(result).toEqual({
      ok: true,
      options: {
        kubeconfig: '/tmp/kc',
        namespace: 'ops',
        leaderElect: true,
        agentImage: 'registry.example/chainmedic@sha256:abc',
        agentNamespace: 'chainmedic-agent',
        allowedAgentImages: [],
        logLevel: 'debug',
        metricsPort: 9090,
        webhookPort: 9443,
        webhookCerts: 'self-managed',
      },
    });
  });

  it('reads the agent namespace and the allowed images (a comma-separated list)', () => {
    const env = { CHAINMEDIC_ALLOWED_AGENT_IMAGES: ' reg.example/a:1, reg.example/b@sha256:ab ,' };
    const result = parseOperatorOptions({ agentNamespace: 'agents' }, env);
    expect(result.ok && result.options).toMatchObject({
      agentNamespace: 'agents',
      allowedAgentImages: ['reg.example/a:1', 'reg.example/b@sha256:ab'],
    });
    const bad = parseOperatorOptions({ allowedAgentImages: 'ok:1,rm -rf /' });
    expect(bad).toEqual({
      ok: false,
      error: expect.stringContaining('--allowed-agent-images (or CHAINMEDIC_ALLOWED_AGENT_IMAGES)'),
    });
  });

  it('falls back to the environment, flags win', () => {
    const env = {
      CHAINMEDIC_NAMESPACE: 'from-env',
      CHAINMEDIC_LEADER_ELECT: 'true',
      CHAINMEDIC_LOG_LEVEL: 'warn',
    };
    const result = parseOperatorOptions({ logLevel: 'error' }, env);
    expect(result.ok && result.options).toMatchObject({
      namespace: 'from-env',
      leaderElect: true,
      logLevel: 'error',
    });
  });

  it.each([
    [
      { namespace: 'Bad_NS' },
      {},
      /^--namespace \(or CHAINMEDIC_NAMESPACE\) "Bad_NS": must be a DNS-1123 label/,
    ],
    [{ logLevel: 'loud' }, {}, /^--log-level \(or CHAINMEDIC_LOG_LEVEL\) "loud": /],
    [{ metricsPort: '70000' }, {}, /^--metrics-port/],
    [{ metricsPort: 'abc' }, {}, /^--metrics-port/],
    [{ agentImage: 'img; rm -rf /' }, {}, /^--agent-image/],
    [{}, { CHAINMEDIC_LEADER_ELECT: 'maybe' }, /^--leader-elect \(or CHAINMEDIC_LEADER_ELECT\) "maybe"/],
  ])('rejects %j %j with one clear line', (raw, env, message) => {
    const result = parseOperatorOptions(raw, env);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatch(message);
      expect(result.error).not.toContain('\n');
    }
  });
});
