/**
 * The JSONPath subset used by CRD additionalPrinterColumns: `.a.b`, `.a[0].b`, `.a[*].b`,
 * `.a[?(@.type=="Ready")].status` (also `!=`, single quotes, and a bare `@.field` existence test).
 */
type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op?: '==' | '!='; value?: string };

export function parseJsonPath(expression: string): Step[] {
  let text = expression.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  if (text.startsWith('$')) text = text.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '.') {
      i++;
      let name = '';
      while (i < text.length && text[i] !== '.' && text[i] !== '[') name += text[i++];
      if (name === '*') steps.push({ kind: 'all' });
      else if (name !== '') steps.push({ kind: 'field', name });
    } else if (ch === '[') {
      const end = text.indexOf(']', text.startsWith('[?(', i) ? text.indexOf(')', i) : i);
      if (end < 0) throw new Error(`unterminated [ in ${expression}`);
      const inner = text.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else {
        const m =
          /^\?\(\s*@((?:\.[A-Za-z0-9_-]+)+)\s*(?:(==|!=)\s*(?:"([^"]*)"|'([^']*)'|([^\s)]+)))?\s*\)$/.exec(
            inner,
          );
        if (!m) throw new Error(`unsupported JSONPath segment [${inner}] in ${expression}`);
        steps.push({
          kind: 'filter',
          path: m[1]!.slice(1).split('.'),
          op: m[2] as '==' | '!=' | undefined,
          value: m[3] ?? m[4] ?? m[5],
        });
      }
    } else throw new Error(`unexpected "${ch}" in JSONPath ${expression}`);
  }
  return steps;
}

function walk(value: unknown, path: string[]): unknown {
  let current = value;
  for (const name of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}

/** All values the expression selects (empty when nothing matches). */
export function evaluateJsonPath(object: unknown, expression: string): unknown[] {
  let current: unknown[] = [object];
  for (const step of parseJsonPath(expression)) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || value === undefined) continue;
      switch (step.kind) {
        case 'field':
          if (typeof value === 'object' && !Array.isArray(value)) {
            const v = (value as Record<string, unknown>)[step.name];
            if (v !== undefined) next.push(v);
          }
          break;
        case 'index':
          if (Array.isArray(value)) {
            const v = value[step.index < 0 ? value.length + step.index : step.index];
            if (v !== undefined) next.push(v);
          }
          break;
        case 'all':
          if (Array.isArray(value)) next.push(...value);
          else if (typeof value === 'object') next.push(...Object.values(value as object));
          break;
        case 'filter':
          if (Array.isArray(value)) {
            for (const item of value) {
              const v = walk(item, step.path);
              if (step.op === undefined ? v !== undefined : (String(v) === step.value) === (step.op === '=='))
                next.push(item);
            }
          }
          break;
      }
    }
    current = next;
  }
  return current;
}
