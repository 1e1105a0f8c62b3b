/**
 * Label selectors as the API server parses them (k8s.io/apimachinery/pkg/labels): `a=b`, `a==b`, `a!=b`,
 * `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma = AND. A malformed selector is a 400, like the real server.
 */
export type Requirement = (labels: Record<string, string>) => boolean;

export class SelectorError extends Error {}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function key(text: string): string {
  const k = text.trim();
  if (!KEY.test(k)) throw new SelectorError(`invalid label key "${k}"`);
  return k;
}

/** Split on commas that are not inside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

function requirement(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const k = key(set[1] as string);
    const values = new Set(
      (set[3] as string)
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    );
    return set[2] === 'in'
      ? (l) => k in l && values.has(l[k] as string)
      : (l) => !(k in l) || !values.has(l[k] as string);
  }
  const cmp = /^([^!=]+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const k = key(cmp[1] as string);
    const v = cmp[3] as string;
    return cmp[2] === '!=' ? (l) => l[k] !== v : (l) => l[k] === v;
  }
  if (term.startsWith('!')) {
    const k = key(term.slice(1));
    return (l) => !(k in l);
  }
  const k = key(term);
  return (l) => k in l;
}

export function parseSelector(selector: string | null | undefined): Requirement {
  if (!selector) return () => true;
  const reqs = terms(selector).map(requirement);
  return (labels) => reqs.every((r) => r(labels));
}
