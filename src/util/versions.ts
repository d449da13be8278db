import { createRequire } from 'node:module';
import sharp from 'sharp';

const require = createRequire(import.meta.url);

/** Versions of the tool and the runtimes that shape its numbers, for run.json and results.json. */
export function toolVersions(): Record<string, string> {
  return {
    semibench: require('../../package.json').version,
    node: process.versions.node,
    onnxruntime: require('onnxruntime-node/package.json').version,
    sharp: sharp.versions.sharp ?? 'unknown',
    libvips: sharp.versions.vips,
    platform: `${process.platform}-${process.arch}`,
  };
}
