/**
 * YAML loading with the size of what comes out bounded. js-yaml resolves an alias (`*a`) to the very object its
 * anchor (`&a`) names, so loading a "billion laughs" file is fast and small; whatever then walks the result as a
 * tree (`yaml.dump` with noRefs, JSON.stringify, structuredClone, the mutation) expands every alias. A 1 KB file
 * of nested aliases made `kserve-llmd render` run 36 s and 2.4 GB before failing (issue 14), and a recursive
 * alias (`a: &a [*a]`) never ends. js-yaml 4.3 bounds nesting (`maxDepth`, default 100) and merge keys
 * (`maxTotalMergeKeys`, default 10,000) but not alias expansion, so each document is measured here, shared
 * subtrees once each (memoised), before anyone walks it.
 */
import yaml from 'js-yaml';

export interface YamlBounds {
  /**
   * Largest expanded size of one document: one per node, plus the characters of every string and key, counting
   * an aliased subtree each time it is used. About the size of the document written out without aliases.
   */
  maxExpanded: number;
}

/** 32 Mi: far above any real manifest, far below what exhausts memory when written out. */
export const DEFAULT_YAML_BOUNDS: YamlBounds = { maxExpanded: 32 * 1024 * 1024 };

export class YamlBoundsError extends Error {}

/** `yaml.loadAll`, then every document checked against `bounds`; throws YamlBoundsError with a one-line message. */
export function loadAllBounded(text: string, bounds: YamlBounds = DEFAULT_YAML_BOUNDS): unknown[] {
  const docs = yaml.loadAll(text);
  docs.forEach((doc, i) => checkExpanded(doc, `document ${i + 1}`, bounds));
  return docs;
}

/** `yaml.load` (one document), checked the same way. */
export function loadBounded(text: string, bounds: YamlBounds = DEFAULT_YAML_BOUNDS): unknown {
  const doc = yaml.load(text);
  checkExpanded(doc, 'the document', bounds);
  return doc;
}

export function checkExpanded(doc: unknown, what: string, bounds: YamlBounds): void {
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  const limit = bounds.maxExpanded;
  const size = (v: unknown): number => {
    if (typeof v === 'string') return 1 + v.length;
    if (typeof v !== 'object' || v === null || v instanceof Date) return 1;
    const known = sizes.get(v);
    if (known !== undefined) return known;
    if (open.has(v))
      throw new YamlBoundsError(`${what} contains itself through a YAML alias (an anchor used inside its own node)`);
    open.add(v);
    let total = 1;
    const add = (n: number): void => {
      total += n;
      if (total > limit) throw tooLarge(what, limit);
    };
    if (Array.isArray(v)) for (const item of v) add(size(item));
    else for (const [key, item] of Object.entries(v)) add(key.length + size(item));
    open.delete(v);
    sizes.set(v, total);
    return total;
  };
  size(doc);
}

function tooLarge(what: string, limit: number): YamlBoundsError {
  return new YamlBoundsError(
    `${what} is larger than ${limit} nodes and characters once its YAML aliases are expanded (an alias bomb?); ` +
      'write it out without aliases, or split it',
  );
}
