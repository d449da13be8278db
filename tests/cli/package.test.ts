// The npm package as a user gets it: fast --help and --version, the built CLI and the `exports` entries, and a
// tarball without tests or fixtures.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/main.js';
import { tempDir } from '../helpers.js';

const exec = promisify(execFile);
const BIN = resolve('bin/semibench.js');
const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version as string;

/** Runs node with args; never throws, gives the exit code. */
async function node(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, args, { cwd: options.cwd, env: options.env ?? process.env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A module hook that makes importing onnxruntime-node or sharp fail, to prove a command never loads them. */
function forbidNativeAddons(): string {
  const hooks = `export async function resolve(specifier, context, next) {
    if (/^(onnxruntime-node|sharp)(\\/|$)/.test(specifier)) throw new Error('forbidden import: ' + specifier);
    return next(specifier, context);
  }`;
  const file = join(tempDir(), 'forbid.mjs');
  writeFileSync(file, `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));\n`);
  return file;
}

describe('semibench as a package', () => {
  it('--help and run/report/merge/compare/generate/measure/detectors --help list every command and flag without loading onnxruntime or sharp; --version prints the package version', async () => {
    const forbid = forbidNativeAddons();
    const help = await node(['--import', forbid, BIN, '--help']);
    expect(help.code, help.stderr).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toContain(`semibench ${c.command}`);
    const version = await node(['--import', forbid, BIN, '--version']);
    expect(version.stdout.trim()).toBe(VERSION);
    // run --help lists its flags from the command module alone: the run itself is imported when it runs
    const runHelp = await node(['--import', forbid, BIN, 'run', '--help']);
    expect(runHelp.code, runHelp.stderr).toBe(0);
    expect(runHelp.stdout).toContain('--intra-op-threads');
    // so do the other commands whose work lives in a *-action.ts module
    for (const [command, flag] of [['report', '--predictions'], ['merge', '--data'], ['compare', '--conditions'], ['generate', '--edit-mode'], ['measure', '--archive-cache-mib'], ['detectors list', '--models-dir'], ['detectors add', '--onnx']]) {
      const commandHelp = await node(['--import', forbid, BIN, ...command.split(' '), '--help']);
      expect(commandHelp.code, `${command}: ${commandHelp.stderr}`).toBe(0);
      expect(commandHelp.stdout).toContain(flag);
    }
    // the hook does bite: a command whose module needs sharp fails under it
    const preprocess = await node(['--import', forbid, BIN, 'preprocess', '--help']);
    expect(preprocess.code).not.toBe(0);
    expect(preprocess.stderr).toContain('forbidden import: sharp');
  });

  it('the command table says what each command module says', async () => {
    for (const c of COMMANDS) {
      const module = await c.load();
      expect([module.command, module.describe]).toEqual([c.command, c.describe]);
    }
  });

  it('builds to dist/: the built CLI runs without TypeScript sources, semibench/config resolves with its types', async () => {
    // an installed copy: package.json, bin/ and a fresh build, dependencies from this checkout
    const root = join(tempDir(), 'node_modules', 'semibench');
    mkdirSync(root, { recursive: true });
    cpSync('package.json', join(root, 'package.json'));
    cpSync('bin', join(root, 'bin'), { recursive: true });
    symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
    const tsc = await node([resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(root, 'dist')]);
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
    expect(existsSync(join(root, 'dist/config/index.d.ts'))).toBe(true);
    expect(existsSync(join(root, 'dist/index.d.ts'))).toBe(true);

    const env = { ...process.env, SEMIBENCH_FROM_SOURCE: undefined };
    const user = join(root, '../..');
    const list = await node([join(root, 'bin/semibench.js'), 'detectors', 'list', '--json', '--config', resolve('bench.config.ts')], { cwd: user, env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((d: { name: string }) => d.name)).toContain('npr-residual');

    const script = "const c = await import('semibench/config'); const m = await import('semibench'); console.log(typeof c.defineConfig, typeof m.main, c.DEFAULTS.protocol)";
    const imported = await node(['--input-type=module', '-e', script], { cwd: user, env });
    expect(imported.stdout.trim(), imported.stderr).toBe('function function native');

    // worker threads start their compiled entry: the metadata worker loads, runs and answers (here: an error)
    const worker = `const { Worker } = await import('node:worker_threads');
      const { workerEntry } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist/util/worker-entry.js')).href)});
      const w = new Worker(workerEntry('metadata-worker', ${JSON.stringify(pathToFileURL(join(root, 'dist/slices/read-inputs.js')).href)}), { execArgv: [], workerData: { dataDir: '/nonexistent', needs: {}, planned: [] } });
      w.once('error', (e) => { console.log('error', e.message); process.exit(1); });
      w.once('message', (m) => { console.log(m.error ? 'answered' : 'no error?'); w.terminate(); });`;
    const ran = await node(['--input-type=module', '-e', worker], { cwd: user, env });
    expect(ran.stdout.trim(), ran.stderr).toBe('answered');

    // so does the inference worker: a detector loads in it and scores an image
    const check = await node([join(root, 'bin/semibench.js'), 'detectors', 'check', 'npr-residual', '--config', resolve('bench.config.ts')], { cwd: user, env });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/score +P\(fake\) = 0\.\d+/);
  });

  it('the tarball holds the CLI, the build, the docs and the exporters, no tests, fixtures or sources', async () => {
    const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { env: { ...process.env, npm_config_loglevel: 'silent' } });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files).toContain('bin/semibench.js');
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('tools/export/self_test.py');
    expect(files.filter((f) => !/^(bin|dist|docs|tools\/export)\//.test(f) && !['package.json', 'README.md'].includes(f))).toEqual([]);
  });
});
