/** What a case module gets from the file that starts one simulated cluster per plane (./sim-planes.ts). */
import type { SimulatedCluster } from '../../../../tools/sim/simulated-cluster.js';
import type { NodeApi } from './node-api.js';

export const ROLES = ['latent', 'reboot', 'rebootRace', 'conditions', 'imageBug', 'imageLater'] as const;
export type Role = (typeof ROLES)[number];

export interface PlaneContext {
  cluster: SimulatedCluster;
  api: NodeApi;
  /** One Linux node per role (imageBug is broken by npm-image-bug from the start), and the Windows node. */
  roles: Record<Role, string> & { windows: string };
}

/** Registers a case module's `it`s; `ctx()` is valid once the plane's beforeAll has run. */
export type PlaneCase = (ctx: () => PlaneContext) => void;
