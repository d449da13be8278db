// Runs once per `vitest run` (vitest.config.ts globalSetup). Every folder tests make with tempDir lives under one
// root for the run, named in SEMIBENCH_TEST_TMP; the root goes at the end. A run killed before its teardown (a
// timeout, Ctrl-C) leaves its root behind: the next run removes every root whose process is gone.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../src/util/process.js';

const PREFIX = 'semibench-tests-';

function removeAbandonedRoots(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const root = join(tmpdir(), name);
    let pid = NaN;
    try {
      pid = Number(readFileSync(join(root, 'owner.pid'), 'utf8'));
    } catch {
      // no pid file: made by a run that died while creating it
    }
    if (!(pid > 0 && isAlive(pid))) rmSync(root, { recursive: true, force: true });
  }
}

export default function setup(): () => void {
  removeAbandonedRoots();
  const root = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(root, 'owner.pid'), String(process.pid));
  process.env.SEMIBENCH_TEST_TMP = root;
  return () => rmSync(root, { recursive: true, force: true });
}
