// The export tests' way to reach Debian's Python: a probe for the modules a test needs (its reason to skip, or to
// fail under CI), and a runner that collects the script's output and exit code.
import { spawn, spawnSync } from 'node:child_process';

export const PYTHON = process.env.SEMIBENCH_PYTHON ?? '/usr/bin/python3';

/** Why `import MODULES` fails, or undefined when it works. */
export function pythonModulesMissing(modules: string): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status === 0) return undefined;
  return `${PYTHON} -c 'import ${modules}' failed: ${probe.stderr.trim().split('\n').at(-1) || `exit status ${probe.status}`}`;
}

/** Runs a Python script (2 torch threads unless OMP_NUM_THREADS says otherwise, no .pyc files written). */
export function runPython(args: string[], cwd?: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd, env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2', PYTHONDONTWRITEBYTECODE: '1' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
