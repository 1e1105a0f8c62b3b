/** The contract table itself: complete rows, known kinds, and every row checked at its project's pinned tag. */
import { KINDS, loadContract, parseContract } from './table.js';

describe('docs/upstream-contract.md', () => {
  const { pinned, rows } = loadContract();

  it('pins a tag for every project', () => {
    expect(pinned.length).toBeGreaterThan(0);
    for (const p of pinned) expect(p.tag).toMatch(/^\S+$/);
  });

  it('every row names a pinned project, a known kind, an upstream path and the pinned tag', () => {
    const problems: string[] = [];
    for (const r of rows) {
      const project = pinned.find((p) => p.project === r.project);
      const where = `line ${r.line} (${r.setting})`;
      if (!project) problems.push(`${where}: section "${r.section}" names no pinned project`);
      else if (r.tag !== project.tag)
        problems.push(`${where}: checked at ${r.tag}, but ${r.project} is pinned at ${project.tag}`);
      if (!(KINDS as readonly string[]).includes(r.kind)) problems.push(`${where}: unknown kind "${r.kind}"`);
      if (!['emit', 'read', 'both'].includes(r.we)) problems.push(`${where}: "we" must be emit, read or both`);
      if (r.setting === '' || r.upstreamPath === '') problems.push(`${where}: setting and upstream path are required`);
    }
    expect(problems).toEqual([]);
  });

  it('no setting is listed twice in one section', () => {
    const seen = new Set<string>();
    const dupes = rows.filter((r) => {
      const key = `${r.section}\u0000${r.kind}\u0000${r.setting}`;
      if (seen.has(key)) return true;
      seen.add(key);
      return false;
    });
    expect(dupes.map((r) => `line ${r.line}: ${r.setting}`)).toEqual([]);
  });

  it('parses sections, pinned versions and escaped pipes', () => {
    const c = parseContract(
      [
        '## Pinned versions',
        '| project | repository | tag | use |',
        '|---|---|---|---|',
        '| vLLM | `vllm-project/vllm` | `v1` | engine |',
        '## vLLM — flags',
        '| setting | kind | we | value | upstream path | tag | note |',
        '|---|---|---|---|---|---|---|',
        '| `--port` | flag | emit | `8000` | `vllm/x.py` | `v1` | a \\| b |',
      ].join('\n'),
    );
    expect(c.pinned).toEqual([{ project: 'vLLM', repository: 'vllm-project/vllm', tag: 'v1' }]);
    expect(c.rows[0]).toMatchObject({ project: 'vLLM', setting: '--port', value: '8000', tag: 'v1', note: 'a | b' });
  });
});
