// Runs tools/export/metrics_self_test.py: the CLIP ViT-B/32 and LPIPS exporters on random-weight models of the real
// architectures, written into a metrics folder in the built-in manifests' layout; then semibench loads them with
// those manifests (zoo.ts) and measures with them. Needs Debian's python3-torch, python3-torchvision, python3-onnx
// (skipped with the reason otherwise; a failure under CI=true).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClipModel } from '../../src/generation/learned/clip.js';
import { loadLearnedMetrics } from '../../src/generation/learned/registry.js';
import { ClipBpeTokenizer, OPENAI_BPE_FILE } from '../../src/generation/learned/tokenizers/clip-bpe.js';
import { copyEvalset, skipWithoutReference, tempDir } from '../helpers.js';
import { measureEvalset, readCsv } from '../generation/measure-helpers.js';

const PYTHON = process.env.SEMIBENCH_PYTHON ?? '/usr/bin/python3';
const CAPTIONS = ['a photo of a cat', 'A red double-decker bus driving down a street in London.', 'two dogs’ frisbee & a ball'];

function torchMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  return probe.status === 0 ? undefined : `${PYTHON} -c 'import torch, torchvision, onnx' failed: ${probe.stderr.trim().split('\n').at(-1)}`;
}

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2', PYTHONDONTWRITEBYTECODE: '1' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const missing = torchMissing();

describe('tools/export metric models (CLIP ViT-B/32, LPIPS) → the built-in metric manifests', () => {
  if (skipWithoutReference('metric export', missing && `${missing}. Install python3-torch python3-torchvision python3-onnx.`)) {
    it.skip(`metric export self-test skipped: ${missing}`, () => {});
    return;
  }

  it('exports graphs that the zoo manifests load and measure with, matching PyTorch', async () => {
    const dir = tempDir('semibench-metric-export-');
    const metricsDir = join(dir, 'metrics');
    const tokenizer = ClipBpeTokenizer.fromOpenAiBpe(OPENAI_BPE_FILE, { maxLength: 77 });
    writeFileSync(join(dir, 'ids.json'), JSON.stringify(CAPTIONS.map((c) => tokenizer.encode(c).ids)));
    const { code, output } = await run(['tools/export/metrics_self_test.py', '--metrics-dir', metricsDir, '--ids', join(dir, 'ids.json'), '--json', join(dir, 'results.json')]);
    expect(code, output.slice(-4000)).toBe(0);
    const { results } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      results: { model: string; passed: boolean; max_abs_diff: number; layout_diff?: number; vs_original?: number; text_embeddings?: number[][] }[];
    };
    expect(results.map((r) => [r.model, r.passed])).toEqual([['clip', true], ['lpips', true]]);
    for (const r of results) expect(r.max_abs_diff, r.model).toBeLessThanOrEqual(1e-4);
    expect(results[0].layout_diff).toBeLessThanOrEqual(1e-6); // Hugging Face and OpenAI checkpoints give one graph
    expect(results[0].vs_original).toBeLessThanOrEqual(1e-4);

    // The built-in manifests accept the files as exported: input/output names, shapes, the shipped tokenizer.
    const learned = await loadLearnedMetrics(metricsDir);
    try {
      const status = Object.fromEntries(learned.statuses.map((s) => [s.name, [s.status, s.source]]));
      expect(status['clip-vit-b32']).toEqual(['loaded', 'builtin']);
      expect(status['lpips-squeeze']).toEqual(['loaded', 'builtin']);
      const clip = learned.models.find((m) => m.id.startsWith('clip-vit-b32@')) as ClipModel;
      for (const [i, caption] of CAPTIONS.entries()) {
        const ours = await clip.embedText(caption);
        const torch = results[0].text_embeddings![i];
        expect(ours).toHaveLength(torch.length);
        expect(Math.max(...torch.map((v, k) => Math.abs(v - ours[k]))), caption).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      await learned.close();
    }

    const evalset = copyEvalset();
    const measured = await measureEvalset(evalset, { metricsDir });
    expect(measured.rowsWithProblems).toBe(0);
    const fakes = readCsv(join(evalset, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    for (const r of fakes) {
      for (const column of ['lpips_score', 'img1_img2', 'cap2_img2'] as const) expect(Number.isFinite(Number(r[column])) && r[column] !== '', `${r.image_path} ${column}`).toBe(true);
      expect(Number(r.lpips_score)).toBeGreaterThanOrEqual(0);
      expect(Math.abs(Number(r.img1_img2))).toBeLessThanOrEqual(1);
    }
  }, 300_000);
});
