import sharp from 'sharp';
import { uniform } from '../src/util/random.js';

/**
 * A photo-like procedural image for the benches: gradients, hard edges and noise, so decoding and resampling do
 * real work. PNG or JPEG (quality 90) by the path's extension; `alpha` adds an alpha channel (RGBA PNGs).
 */
export async function writeBenchImage(path: string, width: number, height: number, seed: number, alpha = false): Promise<void> {
  const rand = uniform(seed);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0, i = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++, i++) {
        const edge = (x + 2 * y + seed) % 61 < 6 ? 80 : 0;
        data[i] = Math.min(255, Math.round((x * (c + 1) * 255) / width / 3 + (y * 120) / height + edge + rand() * 40));
      }
  const image = sharp(data, { raw: { width, height, channels: 3 } });
  if (alpha) image.ensureAlpha(0.8);
  await (path.endsWith('.png') ? image.png({ compressionLevel: 6 }) : image.jpeg({ quality: 90 })).toFile(path);
}
