/** A tiny router for the simulator's own JSON endpoints under /sim/. */

export interface AdminRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
}

export interface AdminResponse {
  status?: number;
  body?: unknown;
}

export type AdminHandler = (req: AdminRequest) => AdminResponse | Promise<AdminResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: AdminHandler;
}

export class AdminRoutes {
  private readonly routes: Route[] = [];

  /** Adds a route; `path` is under /sim/ (with or without that prefix) and may hold `:param` segments. */
  route(method: string, path: string, handler: AdminHandler): void {
    const normalized = path.replace(/^\/?(sim\/)?/, '');
    this.routes.unshift({
      method: method.toUpperCase(),
      segments: normalized.split('/').filter((s) => s),
      handler,
    });
  }

  match(
    method: string,
    pathname: string,
  ): { handler: AdminHandler; params: Record<string, string> } | 'method-not-allowed' | undefined {
    const parts = pathname
      .replace(/^\/sim\/?/, '')
      .split('/')
      .filter((s) => s)
      .map((s) => decodeURIComponent(s));
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((seg, i) => {
        if (seg.startsWith(':')) {
          params[seg.slice(1)] = parts[i]!;
          return true;
        }
        return seg === parts[i];
      });
      if (!ok) continue;
      pathMatched = true;
      if (route.method === method.toUpperCase()) return { handler: route.handler, params };
    }
    return pathMatched ? 'method-not-allowed' : undefined;
  }
}
