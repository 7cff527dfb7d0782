import { ApiError, type KubeObject } from './types.js';

/** One requirement of a label selector, as Kubernetes parses it. */
export type LabelRequirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'gt' | 'lt'; key: string; value: number };

export type LabelSelector = LabelRequirement[];

function badSelector(text: string, why: string): ApiError {
  return new ApiError(400, 'BadRequest', `unable to parse requirement: ${why} in selector "${text}"`);
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, text: string): string {
  if (!KEY.test(key)) throw badSelector(text, `invalid label key "${key}"`);
  return key;
}

function checkValue(value: string, text: string): string {
  if (!VALUE.test(value)) throw badSelector(text, `invalid label value: "${value}"`);
  return value;
}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text || text.trim() === '') return [];
  return splitTopLevel(text).map((part): LabelRequirement => {
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .map((v) => checkValue(v, text));
      return { op: set[2] as 'in' | 'notin', key: checkKey(set[1]!, text), values };
    }
    if (part.startsWith('!')) return { op: 'notexists', key: checkKey(part.slice(1).trim(), text) };
    const cmp = /^([^=!<>\s]+)\s*(==|!=|=|<|>)\s*(.*)$/.exec(part);
    if (cmp) {
      const key = checkKey(cmp[1]!, text);
      const raw = cmp[3]!.trim();
      switch (cmp[2]) {
        case '=':
        case '==':
          return { op: 'in', key, values: [checkValue(raw, text)] };
        case '!=':
          return { op: 'notin', key, values: [checkValue(raw, text)] };
        default: {
          const value = Number(raw);
          if (!Number.isInteger(value))
            throw badSelector(text, `for 'Gt', 'Lt' operators, the value must be an integer`);
          return { op: cmp[2] === '>' ? 'gt' : 'lt', key, value };
        }
      }
    }
    return { op: 'exists', key: checkKey(part, text) };
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const req of selector) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = has ? labels[req.key]! : undefined;
    switch (req.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !req.values.includes(value!)) return false;
        break;
      case 'notin':
        if (has && req.values.includes(value!)) return false;
        break;
      case 'gt':
      case 'lt': {
        const n = Number(value);
        if (!has || !Number.isInteger(n)) return false;
        if (req.op === 'gt' ? !(n > req.value) : !(n < req.value)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  equals: boolean;
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Splits on a separator that is not escaped with a backslash, keeping escapes for later. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1]!;
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(text: string | undefined): FieldSelector {
  if (!text || text.trim() === '') return [];
  return splitUnescaped(text, ',')
    .filter((p) => p.trim() !== '')
    .map((part) => {
      const m = /^([^=!]+?)\s*(==|!=|=)(.*)$/s.exec(part.trim());
      if (!m)
        throw new ApiError(400, 'BadRequest', `invalid selector: '${text}'; can't understand '${part}'`);
      return { field: m[1]!.trim(), equals: m[2] !== '!=', value: unescapeFieldValue(m[3]!) };
    });
}

/** What the real server's field sets hold for a field the object leaves unset. */
const UNSET_VALUES: Record<string, string> = {
  'spec.unschedulable': 'false',
  'spec.hostNetwork': 'false',
  'status.succeeded': '0',
};

/** Field values as the real server's field label conversion presents them (unset booleans are "false"). */
export function fieldValue(object: KubeObject, field: string): string {
  let current: unknown = object;
  for (const segment of field.split('.')) {
    if (current === null || typeof current !== 'object') {
      current = undefined;
      break;
    }
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === undefined || current === null) return UNSET_VALUES[field] ?? '';
  if (typeof current === 'object') return JSON.stringify(current);
  return String(current);
}

export function matchesFields(selector: FieldSelector, object: KubeObject): boolean {
  for (const req of selector) {
    const actual = fieldValue(object, req.field);
    if ((actual === req.value) !== req.equals) return false;
  }
  return true;
}

/** A compiled label + field selector. */
export interface ObjectFilter {
  labels: LabelSelector;
  fields: FieldSelector;
}

export function compileFilter(labelSelector?: string, fieldSelector?: string): ObjectFilter {
  return { labels: parseLabelSelector(labelSelector), fields: parseFieldSelector(fieldSelector) };
}

export function isEmptyFilter(filter: ObjectFilter): boolean {
  return filter.labels.length === 0 && filter.fields.length === 0;
}

export function matchesFilter(filter: ObjectFilter, object: KubeObject): boolean {
  return matchesLabels(filter.labels, object.metadata.labels) && matchesFields(filter.fields, object);
}
