/**
 * Issue 14, item 5: `kserve-llmd render` runs in CI and in Argo CD plugins on files anyone can commit. A 600-byte
 * "billion laughs" file (ten levels of nine aliases: 3.5 billion leaves once expanded) took 32 s and 1.4 GB here
 * and then failed with "Invalid string length"; a recursive alias never ends. Both are now refused with one line
 * before anything expands them, and ordinary anchors and aliases still render.
 */
import { defaultWebhookConfig } from '../../src/config.js';
import { checkExpanded, loadAllBounded, YamlBoundsError } from '../../src/yaml-bounded.js';
import { renderManifests } from '../../render/render.js';

const config = defaultWebhookConfig();

function billionLaughs(levels = 10, fanOut = 9): string {
  const lines = [`a0: &a0 [${Array(fanOut).fill('lol').join(', ')}]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `a${i}: &a${i} [${Array(fanOut)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

describe('render refuses documents that expand without bound', () => {
  it('an alias bomb: one line naming the document, no output', () => {
    const text = billionLaughs();
    expect(text.length).toBeLessThan(1024);
    const result = renderManifests(
      `kind: Namespace\napiVersion: v1\nmetadata: {name: ok}\n---\n${text}`,
      config,
      'ci.yaml',
    );
    expect(result.output).toBe('');
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /^ci\.yaml: document 2 is larger than 33554432 nodes and characters once its YAML aliases are expanded/,
    );
    expect(result.errors[0]).not.toContain('\n');
  });

  it('a recursive alias: one line, instead of a walk that never ends', () => {
    const result = renderManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop}\ndata: &d {self: *d}\n',
      config,
      'x.yaml',
    );
    expect(result.errors).toEqual([
      'x.yaml: document 1 contains itself through a YAML alias (an anchor used inside its own node)',
    ]);
  });

  it('a shared 1 MB string used 100 times is measured by its expanded size', () => {
    const text = `a: &s "${'x'.repeat(1024 * 1024)}"\nb: [${Array(100).fill('*s').join(', ')}]\n`;
    expect(() => loadAllBounded(text, { maxExpanded: 50 * 1024 * 1024 })).toThrow(YamlBoundsError);
    expect(() => loadAllBounded(text, { maxExpanded: 200 * 1024 * 1024 })).not.toThrow();
  });

  it('ordinary anchors and aliases still render, expanded', () => {
    // Anchors are scoped to their document: the alias is used in the same one.
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: shared, labels: &l {team: search}, annotations: *l}',
      'data: {a: "1"}',
    ].join('\n');
    const result = renderManifests(text, config, 'ok.yaml');
    expect(result.errors).toEqual([]);
    expect(result.output.match(/team: search/g)).toHaveLength(2);
    expect(result.output).not.toMatch(/[&*]l\b/);
  });

  it('counts each shared subtree once (the check itself is linear in the file)', () => {
    const shared = { x: 'y' };
    let doc: unknown = shared;
    for (let i = 0; i < 60; i++) doc = [doc, doc]; // 2^60 leaves expanded, 61 distinct nodes
    expect(() => checkExpanded(doc, 'deep', { maxExpanded: 1e9 })).toThrow(/larger than 1000000000/);
  });
});
