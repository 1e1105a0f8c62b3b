import { readFileSync } from 'node:fs';
import { ANNOTATIONS } from '../core/annotations/registry.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README annotation reference', () => {
  it.each(ANNOTATIONS.filter((a) => !a.owned).map((a) => [a.name, a]))(
    'documents kserve-llmd.io/%s with its default',
    (name, spec) => {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`kserve-llmd.io/${name}\` |`));
      expect(row).toBeDefined();
      const defaultCell = row!.split('|')[3]!;
      const firstDefaultWord = spec.default.split(' ')[0]!.replace(/[()]/g, '');
      expect(defaultCell).toContain(firstDefaultWord);
    },
  );

  it('names every annotation kserve-llmd writes itself', () => {
    for (const a of ANNOTATIONS.filter((x) => x.owned)) expect(readme).toContain(`kserve-llmd.io/${a.name}`);
  });

  it('keeps the two-command quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
