import { errorMessage } from '../errors.js';
import type { Command } from 'commander';
import { parseOperatorOptions, type RawOperatorOptions } from '../config.js';
import { EXIT_USAGE } from '../exit-codes.js';

export function registerOperatorCommand(program: Command): void {
  program
    .command('operator')
    .description(
      'Run the operator: watch nodes and azure-npm pods, remediate confirmed kubelet iptables failures',
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster configuration)')
    .option('--namespace <ns>', 'namespace of the operator: its Lease and webhook Secret')
    .option('--leader-elect', 'elect one active replica through a Lease')
    .option(
      '--agent-image <image>',
      'image of the agent Job (unless the policy sets an allowed spec.job.image)',
    )
    .option('--agent-namespace <ns>', 'namespace of the agent Jobs (PSA privileged, nothing else in it)')
    .option(
      '--allowed-agent-images <images>',
      'comma-separated images a RemediationPolicy spec.job.image may name (default: none but --agent-image)',
    )
    .option('--log-level <level>', 'trace, debug, info, warn or error')
    .option('--metrics-port <port>', 'port of /healthz, /readyz and /metrics (0: disabled)')
    .option('--webhook-port <port>', 'HTTPS port of the validating admission webhook (0: disabled)')
    .option('--webhook-certs <mode>', 'self-managed (a CA and certificate kept in a Secret) or cert-manager')
    .option('--webhook-cert-dir <dir>', 'with cert-manager: where its Secret (tls.crt, tls.key) is mounted')
    .action(async (flags: RawOperatorOptions) => {
      const parsed = parseOperatorOptions(flags, process.env);
      if (!parsed.ok) {
        process.stderr.write(`chainmedic operator: ${parsed.error}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const o = parsed.options;
      // Loaded when the operator runs, not for every command: the agent's Jobs never load the client library,
      // the HTTP servers or the metrics (in the bundle, a module reached only by import() starts on first use).
      const [{ createLogger }, { startOperator }] = await Promise.all([
        import('./logger.js'),
        import('./operator.js'),
      ]);
      const logger = createLogger(o.logLevel);
      let handle;
      try {
        handle = await startOperator({
          ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
          namespace: o.namespace,
          leaderElect: o.leaderElect,
          agentImage: o.agentImage,
          agentNamespace: o.agentNamespace,
          allowedAgentImages: o.allowedAgentImages,
          ...(o.metricsPort > 0 ? { metricsPort: o.metricsPort } : {}),
          ...(o.webhookPort > 0
            ? {
                webhook: {
                  port: o.webhookPort,
                  ...(o.webhookCerts === 'cert-manager' && o.webhookCertDir
                    ? { certManagerDir: o.webhookCertDir }
                    : {}),
                },
              }
            : {}),
          logger,
        });
      } catch (err) {
        process.stderr.write(`chainmedic operator: ${errorMessage(err)}\n`);
        process.exitCode = 1;
        return;
      }
      await new Promise<void>((resolve) => {
        const done = (signal: string) => {
          logger.info({ signal }, 'stopping');
          resolve();
        };
        process.once('SIGTERM', () => done('SIGTERM'));
        process.once('SIGINT', () => done('SIGINT'));
      });
      await handle.stop();
    });
}
