// The build's last step: data files that modules read at run time next to themselves (prompt templates, workflow
// templates, CLIP's BPE merge list and its licence) are copied from src/ into dist/ at the same relative path,
// since tsc only emits .js and .d.ts.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const entry of readdirSync('src', { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !['.json', '.txt', '.txt.gz'].some((ext) => entry.name.endsWith(ext))) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join('dist', from.slice('src/'.length)));
}
