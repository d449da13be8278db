import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { brisqueScore } from '../../../src/generation/brisque/index.js';
import { A1111EditBackend, ComfyUIEditBackend, createEditBackend, DiffusersEditBackend, OFFLINE_EDIT_MODEL, OfflineEditBackend } from '../../../src/generation/generate/edit/index.js';
import { editedWords, grade, gradeParams, rolloff } from '../../../src/generation/generate/edit/offline.js';
import { InpaintFailure } from '../../../src/generation/generate/inpaint/failure.js';
import { decodeImage } from '../../../src/image/decode.js';
import { UserError } from '../../../src/util/errors.js';

const PHOTO = 'fixtures/source/images/ADE20K/ADE_train_00000001.jpg';

async function request(editedCaption: string, seed = 1) {
  const image = await sharp(readFileSync(PHOTO)).png().toBuffer();
  const { width, height } = (await sharp(image).metadata()) as { width: number; height: number };
  return { image, sourceCaption: 'a photo of a car and a tree', editedCaption, seed, width, height, model: OFFLINE_EDIT_MODEL };
}

describe('offline prompt-based editing (caption-driven colour / light / texture)', () => {
  const backend = new OfflineEditBackend();

  it('names itself, never a diffusion model, and probes only that model', async () => {
    expect(backend.models).toEqual(['CaptionGrade_offline']);
    await expect(backend.probe([OFFLINE_EDIT_MODEL])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_v5'])).rejects.toThrow(UserError);
  });

  it('returns a PNG of the request size that changes the whole photo, the same for the same request', async () => {
    const req = await request('a photo of a red car and a tree');
    const out = await backend.edit(req);
    const [before, after] = [await decodeImage(req.image), await decodeImage(out)];
    expect([after.width, after.height]).toEqual([req.width, req.height]);
    // a global edit: pixels change in every quarter of the photo
    const w = after.width;
    const h = after.height;
    for (const [x0, y0] of [[0, 0], [w / 2, 0], [0, h / 2], [w / 2, h / 2]]) {
      let changed = 0;
      for (let y = y0; y < y0 + h / 2; y++) for (let x = x0; x < x0 + w / 2; x++) if (before.data[(y * w + x) * 3] !== after.data[(y * w + x) * 3]) changed++;
      expect(changed).toBeGreaterThan(0);
    }
    expect((await backend.edit(req)).equals(out)).toBe(true);
  });

  it('is driven by the words the edit adds and by the seed', async () => {
    expect(editedWords('a photo of a car and a tree', 'a photo of a red car and a tree')).toEqual(['red']);
    expect(editedWords('a photo of a car', 'a photo of a car')).toEqual(['a', 'photo', 'of', 'a', 'car']);
    const red = gradeParams('a photo of a car', 'a photo of a red car', 1);
    expect(gradeParams('a photo of a car', 'a photo of a RED car!', 1)).toEqual(red);
    expect(gradeParams('a photo of a car', 'a photo of a blue car', 1)).not.toEqual(red);
    expect(gradeParams('a photo of a car', 'a photo of a red car', 2)).not.toEqual(red);
    const a = await backend.edit(await request('a photo of a red car and a tree'));
    const b = await backend.edit(await request('a photo of a bus and a tree'));
    expect(a.equals(b)).toBe(false);
  });

  it('stays a plausible photo edit: BRISQUE of the fixture photo moves little and never leaves the QC gate', async () => {
    const photo = await decodeImage(PHOTO);
    const before = brisqueScore(photo);
    for (let seed = 0; seed < 12; seed++) {
      const after = brisqueScore(grade(photo, gradeParams('a photo of a car and a tree', `a photo of a car and a tree ${seed}`, seed)));
      expect(Math.abs(after - before), `seed ${seed}`).toBeLessThan(15);
    }
  });

  it('rolls highlights off towards white instead of clipping them flat', () => {
    expect(rolloff(0.5)).toBe(0.5);
    expect(rolloff(0.8)).toBe(0.8);
    const high = [0.9, 1, 1.2, 1.5].map((v) => rolloff(v));
    for (let i = 1; i < high.length; i++) expect(high[i]).toBeGreaterThan(high[i - 1]);
    expect(Math.round(rolloff(1.2) * 255)).toBeLessThan(255);
  });

  it('fails a request of another size or model with the reason', async () => {
    const req = await request('a photo of a red car and a tree');
    await expect(backend.edit({ ...req, width: req.width + 1 })).rejects.toThrow(InpaintFailure);
    await expect(backend.edit({ ...req, model: 'OpenJourney' })).rejects.toThrow(/unknown model/);
  });

  it('parses the backend specs: each kind its backend, a missing URL or unknown kind a one-line user error', () => {
    expect(createEditBackend('offline')).toBeInstanceOf(OfflineEditBackend);
    expect(createEditBackend('a1111:http://127.0.0.1:7860')).toBeInstanceOf(A1111EditBackend);
    expect(createEditBackend('comfyui:http://127.0.0.1:8188')).toBeInstanceOf(ComfyUIEditBackend);
    expect(createEditBackend('diffusers:http://127.0.0.1:8000')).toBeInstanceOf(DiffusersEditBackend);
    expect(createEditBackend('diffusers:http://127.0.0.1:8000').name).toBe('diffusers-p2p');
    expect(createEditBackend('diffusers:http://127.0.0.1:8000', { editMode: 'img2img' }).name).toBe('diffusers-img2img');
    expect(() => createEditBackend('a1111:http://127.0.0.1:7860', { editMode: 'p2p' })).toThrow(/--edit-mode applies to --edit diffusers:URL only/);
    expect(() => createEditBackend('offline', { editMode: 'img2img' })).toThrow(/--edit-mode applies to --edit diffusers:URL only/);
    expect(() => createEditBackend('a1111')).toThrow(/--edit a1111 needs the server URL, e.g. a1111:http:\/\/127.0.0.1:7860/);
    expect(() => createEditBackend('midjourney')).toThrow(/unknown editing backend 'midjourney'/);
  });
});
