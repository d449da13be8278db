import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCaptionPrompts } from '../../../src/generation/generate/caption/index.js';
import { OfflineCaptionBackend } from '../../../src/generation/generate/caption/offline.js';
import { OFFLINE_EDIT_MODEL, OfflineEditBackend } from '../../../src/generation/generate/edit/index.js';
import { ClassicalBackend, TELEA_MODEL } from '../../../src/generation/generate/inpaint/classical.js';
import { authorsMaskPreparer } from '../../../src/generation/generate/inpaint-stage.js';
import { generate } from '../../../src/generation/generate/pipeline.js';
import { OfflineLabelBackend } from '../../../src/generation/generate/perturb/offline.js';
import { loadPrompts } from '../../../src/generation/generate/perturb/prompts.js';
import { decodeGrey } from '../../../src/image/grey.js';
import { makeSourceSet } from '../../../tools/make-source-set.js';
import { filesUnder, tempDir } from '../../helpers.js';

const CLI = resolve('bin/semibench.js');
let dir: string;
let src: string;
let noModels: string;

beforeAll(async () => {
  dir = tempDir('semibench-p2p-');
  src = join(dir, 'src');
  noModels = join(dir, 'no-metric-models');
  mkdirSync(noModels);
  await makeSourceSet(src, 2); // 8 usable masks on 4 photos
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
const csv = (file: string) => parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
// The demo with the full gate (BRISQUE on; no CLIP model, so its three rules are not applied).
const bothMethods = (out: string, input = src) => ['generate', '--input', input, '--out', out, '--methods', 'inpainting,p2p', '--llm', 'offline', '--inpaint', 'classical', '--edit', 'offline', '--seed', '5', '--metrics-dir', noModels];

describe('semibench generate --methods inpainting,p2p (offline), then run', () => {
  it('writes both methods into one eval set; run slices by method, model, sem_magnitude and the change area with p2p rows', () => {
    const gen = join(dir, 'gen');
    const made = cli(bothMethods(gen));
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toContain('caption: 4/4 ok, 0 failed');
    expect(made.stdout).toContain('edit: 4/4 ok, 0 failed');
    expect(made.stdout).toContain('assemble: 4 real + 12 fake rows');

    const rows = csv(join(gen, 'metadata.csv'));
    expect(rows.filter((r) => r.method === 'inpainting')).toHaveLength(8);
    const p2p = rows.filter((r) => r.method === 'p2p');
    expect(p2p).toHaveLength(4);
    for (const r of p2p) {
      expect(r.label).toBe('fake');
      expect(r.image_path).toBe(`p2p/${r.dataset}/${r.image_id}_${r.dataset}_${OFFLINE_EDIT_MODEL}.png`);
      expect(r.mask_path).toBe(`p2p_masks/${r.dataset}/${r.image_id}_${r.dataset}_${OFFLINE_EDIT_MODEL}.png`);
      expect(existsSync(join(gen, r.image_path))).toBe(true);
      expect(r).toMatchObject({ model: OFFLINE_EDIT_MODEL, language_model: 'offline-wordnet-3.1', target_qual_flag: 'False', mask_id: '', perturbed_mask_name: '' });
      expect(['small', 'medium', 'large']).toContain(r.sem_magnitude);
      expect(r.original_caption).toMatch(/^a photo of /);
      expect(r.perturbed_caption).not.toBe(r.original_caption);
      expect(r.measure_error).toBe('');
      expect(Number(r.post_edit_ratio)).toBeGreaterThan(0);
      expect(r.area_ratio).toBe(''); // the source-mask area: inpainting only, as binning.py
      // a plausible global edit of a photo stays a photo for BRISQUE (a harsher grade once scored 156 here)
      expect(Number(r.brisque_score_perturb), r.image_path).toBeLessThan(Number(r.brisque_score_orig) + 15);
      expect(r.pass_qc).toBe('1');
    }
    const record = JSON.parse(readFileSync(join(gen, 'generation.json'), 'utf8'));
    expect(record.methods).toEqual(['inpainting', 'p2p']);
    expect(record.backends).toEqual({
      llm: { name: 'offline', language_model: 'offline-wordnet-3.1' },
      inpaint: { name: 'classical' },
      caption: { name: 'offline', caption_model: 'offline-entities', language_model: 'offline-wordnet-3.1' },
      edit: { name: 'offline' },
    });
    expect(record.models).toEqual([TELEA_MODEL]);
    expect(record.edit_models).toEqual([OFFLINE_EDIT_MODEL]);
    expect(record.caption_prompts.sha256).toBe(loadCaptionPrompts().sha256);
    expect(record.stages.caption).toMatchObject({ items: 4, ok: 4, failed: 0 });
    expect(record.stages.edit).toMatchObject({ items: 4, ok: 4, failed: 0, qualFlagged: 0 });
    expect(record.stages.measure).toMatchObject({ rows: 16, pairs: 12 });
    expect(record.stages.measure.qc.rules[0]).toMatchObject({ metric: 'brisque_score_perturb', applied: 12, status: 'applied' });

    const run = join(dir, 'run');
    const scored = cli(['run', '--detector', 'all', '--data', gen, '--out', run]);
    expect(scored.status, scored.stderr).toBe(0);
    const predictions = csv(join(run, 'predictions.csv'));
    const detectors = [...new Set(predictions.map((p) => p.detector))];
    for (const detector of detectors) expect(predictions.filter((p) => p.detector === detector && p.error === '')).toHaveLength(16);
    const slice = (name: string) => csv(join(run, 'slices', `${name}.csv`)).filter((r) => r.detector === detectors[0]);
    const fakes = (name: string) => slice(name).reduce((n, r) => n + Number(r.n_fake), 0);
    expect(slice('method').map((r) => [r.value, r.n_fake])).toEqual([['inpainting', '8'], ['p2p', '4']]);
    expect(slice('model').find((r) => r.value === OFFLINE_EDIT_MODEL)?.n_fake).toBe('4');
    expect(slice('method_x_model').some((r) => r.value.includes('p2p') && r.value.includes(OFFLINE_EDIT_MODEL))).toBe(true);
    // every fake, p2p included, in the magnitude and the change-area / change-size slices
    for (const name of ['sem_magnitude', 'post_edit_ratio', 'post_edit_ratio_5bin', 'mse', 'ssim']) expect(fakes(name), name).toBe(12);
    // the source-mask area is inpainting only (binning.py): p2p rows are out of the area slices, not '(missing)'
    for (const name of ['area_ratio', 'area_ratio_5bin', 'area_x_sem_magnitude']) {
      expect(fakes(name), name).toBe(8);
      expect(slice(name).map((r) => r.value).join(' '), name).not.toContain('(missing)');
    }
  }, 240_000);

  it('the post-edit mask is the changed area measure finds: 0/255 at the photo size, its ratio the row\'s post_edit_ratio', async () => {
    const gen = join(dir, 'gen');
    for (const r of csv(join(gen, 'metadata.csv')).filter((r) => r.method === 'p2p')) {
      const mask = await decodeGrey(join(gen, r.mask_path));
      const photo = await decodeGrey(join(gen, csv(join(gen, 'metadata.csv')).find((x) => x.image_id === r.image_id && x.label === 'real')!.image_path));
      expect([mask.width, mask.height]).toEqual([photo.width, photo.height]);
      expect(mask.data.every((v) => v === 0 || v === 255)).toBe(true);
      const ratio = mask.data.filter((v) => v === 255).length / mask.data.length;
      expect(ratio).toBe(Number(r.ratio));
      expect(ratio).toBeCloseTo(Number(r.post_edit_ratio), 12);
    }
  });

  it('resumes without redoing a caption or an edit', () => {
    const gen = join(dir, 'gen');
    const edited = readFileSync(join(gen, '.semibench-generate/edit.jsonl'), 'utf8');
    const again = cli(bothMethods(gen));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('caption: 4/4 ok, 0 failed (4 done earlier)');
    expect(again.stdout).toContain('edit: 4/4 ok, 0 failed (4 done earlier)');
    expect(readFileSync(join(gen, '.semibench-generate/edit.jsonl'), 'utf8')).toBe(edited);
  }, 120_000);

  it('resumes after kill -9 in the edit stage; the same seed gives a byte-identical eval set', async () => {
    const source = join(dir, 'src8');
    await makeSourceSet(source, 4); // 8 photos
    const whole = join(dir, 'whole');
    expect(cli(bothMethods(whole, source)).status).toBe(0);
    const killed = join(dir, 'killed');
    await new Promise<void>((done, fail) => {
      const child = spawn(process.execPath, [CLI, ...bothMethods(killed, source)], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let seen = '';
      child.stderr.on('data', (chunk) => {
        seen += chunk;
        if (/edit \(offline\): [1-6]\/8/.test(seen)) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`not killed (exit ${code}): ${seen}`))));
    });
    expect(existsSync(join(killed, 'metadata.csv'))).toBe(false);
    const captioned = readFileSync(join(killed, '.semibench-generate/caption.jsonl'), 'utf8');
    const resumed = cli(bothMethods(killed, source));
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('caption: 8/8 ok, 0 failed (8 done earlier)');
    expect(resumed.stdout).toMatch(/edit: 8\/8 ok, 0 failed \([1-7] done earlier\)/);
    expect(readFileSync(join(killed, '.semibench-generate/caption.jsonl'), 'utf8')).toBe(captioned);
    expect(readFileSync(join(killed, '.semibench-generate/edit.jsonl'), 'utf8').trim().split('\n')).toHaveLength(8);
    const a = filesUnder(whole);
    const b = filesUnder(killed);
    const kept = (keys: Iterable<string>) => [...keys].filter((k) => !k.startsWith('.semibench-generate') && !k.endsWith('.json')).sort();
    expect(kept(b.keys())).toEqual(kept(a.keys()));
    for (const path of kept(a.keys())) expect(b.get(path)!.equals(a.get(path)!), path).toBe(true);
  }, 240_000);

  it('adds p2p to a folder generated with inpainting only; the same p2p backends are then pinned', async () => {
    const out = join(dir, 'grow');
    const prompts = loadPrompts();
    const base = {
      input: src, out, labels: new OfflineLabelBackend(prompts), inpainter: new ClassicalBackend(), models: [TELEA_MODEL], prepareMask: authorsMaskPreparer,
      prompts, seed: 5, concurrency: 2, metricsDir: noModels,
    };
    await generate({ ...base, stages: ['perturb', 'inpaint', 'assemble'] });
    expect(csv(join(out, 'metadata.csv')).filter((r) => r.label === 'fake').map((r) => r.method)).toEqual(Array(8).fill('inpainting'));
    const p2p = { captions: new OfflineCaptionBackend(loadCaptionPrompts(), prompts), captionPrompts: loadCaptionPrompts(), editor: new OfflineEditBackend(), models: [OFFLINE_EDIT_MODEL] };
    const result = await generate({ ...base, methods: ['inpainting', 'p2p'], p2p, stages: ['perturb', 'inpaint', 'caption', 'edit', 'assemble'] });
    expect(result.perturb).toMatchObject({ alreadyDone: 8 });
    expect(result.assemble).toMatchObject({ real: 4, fake: 12 });
    const other = { ...p2p, captionPrompts: { ...p2p.captionPrompts, sha256: 'f'.repeat(64) } };
    await expect(generate({ ...base, methods: ['p2p'], p2p: other, stages: ['caption'] })).rejects.toThrow(/caption_prompts_sha256/);
  }, 120_000);

  it('takes methods, edit and editModels from bench.config.ts (flags override them); a bad one names the key', () => {
    // not in `dir`: the other tests' CLI runs there, and would find a bench.config.ts in their working folder
    mkdirSync(join(dir, 'project'));
    const config = join(dir, 'project', 'bench.config.ts');
    const plan = (...args: string[]) => cli(['generate', '--input', src, '--out', join(dir, 'planned'), '--config', config, '--plan', ...args]);
    writeFileSync(config, `export default { generate: { methods: ['inpainting', 'p2p'], edit: 'offline', editModels: ['OpenJourney'] } };`);
    const both = plan();
    expect(both.status, both.stderr).toBe(0);
    expect(both.stdout).toContain('editing offline, models OpenJourney');
    expect(both.stdout).toMatch(/^edit: up to 4 images/m);
    const flags = plan('--methods', 'inpainting');
    expect(flags.status, flags.stderr).toBe(0);
    expect(flags.stdout).not.toContain('p2p:');
    writeFileSync(config, `export default { generate: { methods: ['p2p', 'lance'] } };`);
    const bad = plan();
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim()).toBe(`semibench: ${config}: generate: .methods must be a non-empty list of 'inpainting', 'p2p' (got a list)`);
    expect(existsSync(join(dir, 'planned'))).toBe(false);
  }, 60_000);

  it('bad method, stage or editing backend: one line each, before any work', () => {
    const out = join(dir, 'bad');
    const lines = (args: string[]) => {
      const r = cli(args);
      expect(r.status).not.toBe(0);
      return r.stderr.trim().split('\n');
    };
    expect(lines(['generate', '--input', src, '--out', out, '--methods', 'inpainting,lance'])).toEqual(["semibench: --methods: unknown method 'lance' (expected inpainting, p2p, comma-separated)."]);
    expect(lines(['generate', 'caption', '--input', src, '--out', out])).toEqual(['semibench: The caption stage belongs to --methods p2p; add it to --methods.']);
    expect(lines(['generate', '--input', src, '--out', out, '--methods', 'p2p', '--edit', 'comfyui'])).toEqual(['semibench: --edit comfyui needs the server URL, e.g. comfyui:http://127.0.0.1:8188']);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
