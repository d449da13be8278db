import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Relative imports (type-only included: they tie the modules together as much for a reader) of every src file. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts')) {
        const deps = [...readFileSync(path, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => relative(SRC, resolve(dirname(path), m[1])).replace(/\.js$/, '.ts'));
        graph.set(relative(SRC, path), deps);
      }
    }
  };
  walk(SRC);
  return graph;
}

describe('module structure', () => {
  it('src/metrics, src/slices and src/reports have no import cycles, type-level ones included', () => {
    const graph = importGraph();
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) if (/^(metrics|slices|reports)\//.test(dep)) visit(dep, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (/^(metrics|slices|reports)\//.test(file)) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
