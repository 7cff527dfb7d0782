import { z } from 'zod';
import type { AdminRoutes, AdminResponse } from '../api/admin.js';
import { breakOptionsError, type BreakOptions } from '../broken-nodes.js';
import { BREAK_CAUSES, type BreakCause } from './host.js';
import type { NodeDirectory } from './node-directory.js';

export interface RebootOptions {
  /** Linux: kubelet's init at boot loses the race with the iptables unit (its chains missing). */
  loseRace?: boolean;
}

/** What the admin API can do to the simulated nodes (implemented by the cluster handle). */
export interface NodeAdmin {
  nodes: NodeDirectory;
  breakNode(name: string, cause: BreakCause, options?: BreakOptions): void;
  rebootNode(name: string, options?: RebootOptions): void;
  /** Broken by the init race while azure-npm runs on what it detected before (a latent break, until it restarts). */
  latent(name: string): boolean;
  bootId(name: string): string | undefined;
  repairNpmImage(name: string): void;
  setNodeReady(name: string, ready: boolean): void;
  failNextJob(name: string): void;
  failKubeletInits(name: string, count: number): void;
  npmPodName(name: string): string | undefined;
}

const breakBody = z
  .object({ cause: z.enum(BREAK_CAUSES as [BreakCause, ...BreakCause[]]), latent: z.boolean().optional() })
  .strict();
const rebootBody = z.object({ loseRace: z.boolean().optional() }).strict();
const readyBody = z.object({ ready: z.boolean() }).strict();
const raceBody = z.object({ count: z.number().int().min(0).max(1000) }).strict();

const badRequest = (message: string): AdminResponse => ({
  status: 400,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message },
});
const notFound = (name: string): AdminResponse => ({
  status: 404,
  body: {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    reason: 'NotFound',
    code: 404,
    message: `node "${name}" not found`,
  },
});

/** The node's simulated host, as GET /sim/nodes/:name shows it. */
export function describeNode(admin: NodeAdmin, name: string): Record<string, unknown> | undefined {
  const machine = admin.nodes.get(name);
  if (!machine) return undefined;
  const host = machine.host;
  return {
    name,
    os: machine.id.os,
    ready: machine.ready,
    npmPod: admin.npmPodName(name) ?? null,
    brokenCause: host?.brokenCause ?? null,
    latent: admin.latent(name),
    bootId: admin.bootId(name) ?? null,
    kubeletRestarts: host?.kubeletRestarts ?? 0,
    failingKubeletInits: host?.failingInits ?? 0,
    iptables: host
      ? { backend: host.backend, tables: host.iptables.tableList(), chains: host.iptables.userChains() }
      : null,
  };
}

export function registerNodeAdminRoutes(routes: AdminRoutes, admin: NodeAdmin): void {
  const withNode = (name: string | undefined, fn: (name: string) => AdminResponse): AdminResponse => {
    if (!name || !admin.nodes.get(name)) return notFound(name ?? '');
    return fn(name);
  };
  const parse = <T>(schema: z.ZodType<T>, body: unknown): T | string => {
    const parsed = schema.safeParse(body ?? {});
    return parsed.success
      ? parsed.data
      : parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
  };

  routes.route('GET', 'nodes/:name', (req) =>
    withNode(req.params.name, (name) => ({ body: describeNode(admin, name) })),
  );
  routes.route('POST', 'nodes/:name/break', (req) =>
    withNode(req.params.name, (name) => {
      const body = parse(breakBody, req.body);
      if (typeof body === 'string') return badRequest(body);
      if (admin.nodes.get(name)?.id.os !== 'linux') return badRequest(`node "${name}" is not a Linux node`);
      const options = { latent: body.latent ?? false };
      const invalid = breakOptionsError(body.cause, options);
      if (invalid) return badRequest(invalid);
      admin.breakNode(name, body.cause, options);
      return { body: describeNode(admin, name) };
    }),
  );
  routes.route('POST', 'nodes/:name/reboot', (req) =>
    withNode(req.params.name, (name) => {
      const body = parse(rebootBody, req.body);
      if (typeof body === 'string') return badRequest(body);
      const machine = admin.nodes.get(name);
      if (!machine?.ready) {
        return badRequest(`node "${name}": its kubelet is stopped (POST /sim/nodes/${name}/ready first)`);
      }
      if (body.loseRace && machine.id.os !== 'linux') {
        return badRequest(`node "${name}" is not a Linux node: loseRace needs iptables`);
      }
      admin.rebootNode(name, body);
      return { body: describeNode(admin, name) };
    }),
  );
  routes.route('POST', 'nodes/:name/repair-npm-image', (req) =>
    withNode(req.params.name, (name) => {
      admin.repairNpmImage(name);
      return { body: describeNode(admin, name) };
    }),
  );
  routes.route('POST', 'nodes/:name/ready', (req) =>
    withNode(req.params.name, (name) => {
      const body = parse(readyBody, req.body);
      if (typeof body === 'string') return badRequest(body);
      admin.setNodeReady(name, body.ready);
      return { body: describeNode(admin, name) };
    }),
  );
  routes.route('POST', 'nodes/:name/fail-next-job', (req) =>
    withNode(req.params.name, (name) => {
      admin.failNextJob(name);
      return { body: describeNode(admin, name) };
    }),
  );
  routes.route('POST', 'nodes/:name/fail-kubelet-inits', (req) =>
    withNode(req.params.name, (name) => {
      const body = parse(raceBody, req.body);
      if (typeof body === 'string') return badRequest(body);
      admin.failKubeletInits(name, body.count);
      return { body: describeNode(admin, name) };
    }),
  );
}
