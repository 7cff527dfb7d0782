/** Deterministic (seeded) fault injection for the simulated API server. */
import { isSimKubelet } from './request-log.js';

export interface FaultRule {
  /** API verb: get, list, watch, create, update, patch, delete, deletecollection; omitted or '*' = any. */
  verb?: string;
  /** 'pods', 'pods/status', 'jobs.batch', 'noderemediations'; omitted or '*' = any. */
  resource?: string;
  namespace?: string;
  name?: string;
  /** Added delay before the request is served. */
  latencyMs?: number;
  /**
   * Probability (0..1) that a matching request fails with errorCode. Omitted: 1 when the rule names an
   * errorCode, reason or message (the rule refuses every matching request), else the rule injects no error.
   */
  errorRate?: number;
  /** 500 by default; 429 and 503 carry a Retry-After header. */
  errorCode?: number;
  /** The Status reason; by default the one the real server gives errorCode (422 Invalid, 403 Forbidden, ...). */
  reason?: string;
  /**
   * The Status message; by default `injected fault: <reason>` (429: the real server's "Too many requests"). With
   * errorCode 422 or 403 and a reason, a rule answers like an admission denial (a ValidatingAdmissionPolicy or a
   * webhook refusing the request), dry runs included.
   */
  message?: string;
  retryAfterSeconds?: number;
  /**
   * Writes (create, update, patch, delete): the request is served first (the write commits and its watch
   * events go out), then answered with the error, as an API server that timed out after etcd committed.
   */
  afterCommit?: boolean;
  /** Watches: close the stream after this many events. */
  dropWatchAfterEvents?: number;
  /** Watches: probability (0..1) of closing the stream after each event. */
  dropWatchProbability?: number;
  /** Watches: drop like a network failure (connection reset) instead of a clean end of stream. */
  dropWatchAbruptly?: boolean;
  /** true: only server-side dry runs match; false: only real requests; omitted: both (as admission sees both). */
  dryRun?: boolean;
  /** How many more times the rule may fire; omitted = unlimited. */
  remaining?: number;
}

export interface StoredFaultRule extends FaultRule {
  id: string;
}

export interface RequestFacts {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** A server-side dry run (dryRun=All). */
  dryRun?: boolean;
  /** The client's User-Agent header (the simulated kubelets send SIM_KUBELET_USER_AGENT). */
  userAgent?: string;
}

export interface OneShotTarget {
  resource?: string;
  name?: string;
}

export interface FaultDecision {
  latencyMs: number;
  /** With `afterCommit`, a write is served before the error replaces its answer. */
  error?: InjectedError;
  forceGone: boolean;
  conflict: boolean;
  dropWatchAfterEvents?: number;
  dropWatchProbability?: number;
  dropWatchAbruptly?: boolean;
}

export interface FaultsSnapshot {
  seed: number;
  rules: StoredFaultRule[];
  pendingGone: OneShotTarget[];
  pendingConflicts: OneShotTarget[];
}

/** What a fired rule answers with. */
export interface InjectedError {
  code: number;
  retryAfterSeconds?: number;
  afterCommit?: boolean;
  reason?: string;
  message?: string;
}

/** The error a fault rule injects; thrown by a write served first (`afterCommit`) so the server answers with it. */
export class InjectedFault extends Error {
  readonly code: number;
  readonly retryAfterSeconds?: number;
  /** The Status reason and message the rule asked for (absent: the defaults for the code). */
  readonly reason?: string;
  readonly statusMessage?: string;

  constructor(error: InjectedError) {
    super(`injected fault ${error.code}`);
    this.name = 'InjectedFault';
    this.code = error.code;
    if (error.retryAfterSeconds !== undefined) this.retryAfterSeconds = error.retryAfterSeconds;
    if (error.reason !== undefined) this.reason = error.reason;
    if (error.message !== undefined) this.statusMessage = error.message;
  }
}

/** mulberry32: small, fast, good enough for reproducible fault sequences. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resourceMatches(pattern: string | undefined, facts: RequestFacts): boolean {
  if (pattern === undefined || pattern === '*') return true;
  const [resPart, subPart] = pattern.split('/') as [string, string | undefined];
  const dot = resPart.indexOf('.');
  const resource = dot >= 0 ? resPart.slice(0, dot) : resPart;
  if (dot >= 0 && resPart.slice(dot + 1) !== facts.group) return false;
  if (resource !== facts.resource) return false;
  return subPart === undefined || subPart === facts.subresource;
}

export function ruleMatches(rule: FaultRule, facts: RequestFacts): boolean {
  if (rule.verb !== undefined && rule.verb !== '*' && rule.verb !== facts.verb) return false;
  if (!resourceMatches(rule.resource, facts)) return false;
  if (rule.namespace !== undefined && rule.namespace !== facts.namespace) return false;
  if (rule.name !== undefined && rule.name !== facts.name) return false;
  if (rule.dryRun !== undefined && rule.dryRun !== (facts.dryRun === true)) return false;
  return true;
}

function targetMatches(target: OneShotTarget, facts: RequestFacts): boolean {
  return resourceMatches(target.resource, facts) && (target.name === undefined || target.name === facts.name);
}

/** A rule's error probability: as given, else 1 when it says which error to answer, else none. */
function errorRateOf(rule: FaultRule): number | undefined {
  if (rule.errorRate !== undefined) return rule.errorRate;
  const namesError = rule.errorCode !== undefined || rule.reason !== undefined || rule.message !== undefined;
  return namesError ? 1 : undefined;
}

/** Why a rule given through the admin API cannot be used, or undefined when it can. */
export function faultRuleProblem(rule: unknown): string | undefined {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return 'a rule must be a JSON object';
  const r = rule as Record<string, unknown>;
  for (const field of ['verb', 'resource', 'namespace', 'name', 'reason', 'message']) {
    if (r[field] !== undefined && typeof r[field] !== 'string') return `${field} must be a string`;
  }
  for (const field of ['afterCommit', 'dropWatchAbruptly', 'dryRun']) {
    if (r[field] !== undefined && typeof r[field] !== 'boolean') return `${field} must be true or false`;
  }
  if (r.errorCode !== undefined) {
    const code = r.errorCode;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 400 || code > 599)
      return 'errorCode must be an HTTP error code (400-599)';
  }
  return undefined;
}

const WRITE_VERBS = new Set(['update', 'patch']);
const WRITE_AFTER_COMMIT_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export class FaultInjector {
  private rules: StoredFaultRule[] = [];
  private pendingGone: OneShotTarget[] = [];
  private pendingConflicts: OneShotTarget[] = [];
  private nextId = 1;
  private readonly watches = new Set<{ facts: RequestFacts; close: (abrupt: boolean) => void }>();
  private seedValue: number;
  private random: () => number;

  constructor(seed = 1) {
    this.seedValue = seed;
    this.random = seededRandom(seed);
  }

  reseed(seed: number): void {
    this.seedValue = seed;
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): string {
    const id = `f${this.nextId++}`;
    this.rules.push({ ...rule, id });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  /** Replaces every rule. */
  set(rules: FaultRule[]): void {
    this.rules = [];
    for (const rule of rules) this.add(rule);
  }

  clear(): void {
    this.rules = [];
    this.pendingGone = [];
    this.pendingConflicts = [];
  }

  /** The next matching watch answers 410 Gone (as an ERROR event). */
  forceGoneOnNextWatch(target: OneShotTarget = {}): void {
    this.pendingGone.push(target);
  }

  /** The next matching update or patch answers 409 Conflict. */
  conflictOnNextWrite(target: OneShotTarget = {}): void {
    this.pendingConflicts.push(target);
  }

  /** Registers an open watch stream so it can be dropped on demand; returns the unregister function. */
  trackWatch(facts: RequestFacts, close: (abrupt: boolean) => void): () => void {
    // A simulated kubelet's watch is neither counted nor dropped (see decide).
    if (isSimKubelet(facts.userAgent)) return () => undefined;
    const entry = { facts, close };
    this.watches.add(entry);
    return () => this.watches.delete(entry);
  }

  /** Closes every open watch stream matching the target (cleanly, or abruptly like a network failure). */
  dropActiveWatches(target: OneShotTarget = {}, abrupt = false): number {
    let dropped = 0;
    for (const watch of [...this.watches]) {
      if (!targetMatches(target, watch.facts)) continue;
      this.watches.delete(watch);
      watch.close(abrupt);
      dropped++;
    }
    return dropped;
  }

  /** Open watches of the clients under test (the simulated kubelets' are not tracked). */
  activeWatches(target: OneShotTarget = {}): number {
    return [...this.watches].filter((w) => targetMatches(target, w.facts)).length;
  }

  snapshot(): FaultsSnapshot {
    return {
      seed: this.seedValue,
      rules: this.rules.map((r) => ({ ...r })),
      pendingGone: [...this.pendingGone],
      pendingConflicts: [...this.pendingConflicts],
    };
  }

  /** A number in [0, 1) from the seeded sequence. */
  roll(): number {
    return this.random();
  }

  decide(facts: RequestFacts): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, forceGone: false, conflict: false };
    // The simulated kubelets play the cluster, not the client under test: no fault reaches them.
    if (isSimKubelet(facts.userAgent)) return decision;
    if (facts.verb === 'watch') {
      const i = this.pendingGone.findIndex((t) => targetMatches(t, facts));
      if (i >= 0) {
        this.pendingGone.splice(i, 1);
        decision.forceGone = true;
      }
    }
    if (WRITE_VERBS.has(facts.verb)) {
      const i = this.pendingConflicts.findIndex((t) => targetMatches(t, facts));
      if (i >= 0) {
        this.pendingConflicts.splice(i, 1);
        decision.conflict = true;
      }
    }
    for (const rule of this.rules) {
      if (!ruleMatches(rule, facts)) continue;
      let fired = false;
      if (rule.latencyMs) {
        decision.latencyMs += rule.latencyMs;
        fired = true;
      }
      const errorRate = errorRateOf(rule);
      if (errorRate !== undefined && !decision.error && this.random() < errorRate) {
        decision.error = {
          code: rule.errorCode ?? 500,
          retryAfterSeconds: rule.retryAfterSeconds,
          ...(rule.afterCommit && WRITE_AFTER_COMMIT_VERBS.has(facts.verb) ? { afterCommit: true } : {}),
          ...(rule.reason !== undefined ? { reason: rule.reason } : {}),
          ...(rule.message !== undefined ? { message: rule.message } : {}),
        };
        fired = true;
      }
      if (
        facts.verb === 'watch' &&
        (rule.dropWatchAfterEvents !== undefined || rule.dropWatchProbability !== undefined)
      ) {
        decision.dropWatchAfterEvents = rule.dropWatchAfterEvents ?? decision.dropWatchAfterEvents;
        decision.dropWatchProbability = rule.dropWatchProbability ?? decision.dropWatchProbability;
        decision.dropWatchAbruptly = rule.dropWatchAbruptly ?? decision.dropWatchAbruptly;
        fired = true;
      }
      if (fired && rule.remaining !== undefined) rule.remaining--;
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    return decision;
  }
}
