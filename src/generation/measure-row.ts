import { relative } from 'node:path';
import { decodeImage, ImageDecodeError } from '../image/decode.js';
import type { RgbImage } from '../image/types.js';
import { errorMessage } from '../util/errors.js';
import { DataFileError, readDataFile } from '../util/fs.js';
import { brisqueScore } from './brisque/index.js';
import { alignToReal, ChangeMetricError, maskAreaRatio, measurePair } from './change/index.js';
import type { MetricColumn } from './columns.js';
import { PromiseLru } from './learned/lru.js';
import type { MetricModel } from './learned/metric-model.js';
import { measuredRow, type MeasuredRow } from './measured-store.js';
import { formatProblems, type Problem } from './problems.js';
import type { PairPlan } from './table.js';

/** What measuring a row needs besides the row: the loaded learned metrics and a cache of decoded real images. */
export interface RowMeasurer {
  /** `pixel` plus the id of every loaded learned model (recorded per row for resume). */
  readonly attempted: string[];
  measure(pair: PairPlan): Promise<MeasuredRow>;
}

/**
 * Measures pairs: decode real, edited and mask; the pixel change metrics (src/generation/change); the mask's area
 * ratio; every loaded learned metric. Nothing throws for bad input: each problem becomes a `kind: detail` entry
 * of the row's measure_error, and whatever could still be measured is kept.
 */
export function createRowMeasurer(models: readonly MetricModel[], root: string, opts: { brisque: boolean } = { brisque: true }): RowMeasurer {
  // Evalset rows of one image are adjacent, so a few decoded reals cover them.
  const reals = new PromiseLru<RgbImage>(8);
  const realBrisque = new PromiseLru<number>(8);
  const attempted = ['pixel', ...(opts.brisque ? ['brisque'] : []), ...models.map((m) => m.id)];
  const show = (path: string) => (path.startsWith(root) ? relative(root, path) : path);

  async function load(path: string, role: string, problems: Problem[], read?: () => Promise<Buffer>, cache?: PromiseLru<RgbImage>): Promise<RgbImage | undefined> {
    // An archive member's bytes as handed over; else only a regular file inside the data folder (the rule `semibench run` follows too).
    const decode = async () => decodeImage(await (read ? read() : readDataFile(root, path)));
    try {
      return await (cache ? cache.get(path, decode) : decode());
    } catch (error) {
      const missing = error instanceof DataFileError && error.kind === 'missing';
      const reason = error instanceof ImageDecodeError || error instanceof DataFileError ? error.reason : errorMessage(error);
      problems.push({ kind: missing ? 'missing_file' : 'unreadable_image', detail: `${role} ${show(path)}: ${reason}` });
      return undefined;
    }
  }

  return {
    attempted,
    async measure(pair) {
      const problems: Problem[] = [...pair.problems];
      const values: Partial<Record<MetricColumn, number>> = {};
      if (!pair.blocked) {
        const [real, edited, mask] = await Promise.all([
          load(pair.realPath!, 'real image', problems, pair.read?.real, reals),
          load(pair.editedPath!, 'edited image', problems, pair.read?.edited),
          pair.maskPath === undefined ? undefined : load(pair.maskPath, 'mask', problems, pair.read?.mask),
        ]);
        if (real && mask) measureMask(real, mask, values, problems);
        // BRISQUE of both images (the QC gate's brisque_score_perturb rule); a real image is scored once.
        if (opts.brisque && real) setFinite(values, 'brisque_score_orig', await realBrisque.get(pair.realPath!, async () => brisqueScore(real)));
        if (opts.brisque && edited) setFinite(values, 'brisque_score_perturb', brisqueScore(edited));
        if (real && edited) {
          measurePixels(real, edited, values, problems);
          if (models.length > 0) {
            const { originalCaption, perturbedCaption } = pair;
            const aligned = alignToReal(real, edited).image;
            await measureLearned(models, { realKey: pair.realPath!, real, edited, aligned, originalCaption, perturbedCaption }, values, problems);
          }
        }
      }
      return measuredRow(pair.key, attempted, values, formatProblems(problems));
    },
  };
}

/** Keeps a value only when finite (BRISQUE of an image under ~4 px a side has no statistics: left empty). */
function setFinite(values: Partial<Record<MetricColumn, number>>, column: MetricColumn, value: number): void {
  if (Number.isFinite(value)) values[column] = value;
}

function measurePixels(real: RgbImage, edited: RgbImage, values: Partial<Record<MetricColumn, number>>, problems: Problem[]): void {
  try {
    const m = measurePair(real, edited);
    Object.assign(values, {
      post_edit_ratio: m.postEditRatio,
      ssim: m.ssim,
      mse: m.mse,
      largest_component_size: m.largestComponentSize,
      cc_clusters: m.ccClusters,
      cluster_dist: m.clusterDist,
    });
    if (m.mse === 0) problems.push({ kind: 'no_change', detail: 'every pixel of the edited image equals the real image' });
    else if (m.postEditRatio === 1) problems.push({ kind: 'whole_image_change', detail: 'the change regions cover every pixel (mismatched pair or global re-render?)' });
  } catch (error) {
    if (!(error instanceof ChangeMetricError)) throw error;
    problems.push({ kind: error.code === 'E_TOO_SMALL' ? 'too_small' : 'unreadable_image', detail: error.message });
  }
}

function measureMask(real: RgbImage, mask: RgbImage, values: Partial<Record<MetricColumn, number>>, problems: Problem[]): void {
  try {
    values.area_ratio = maskAreaRatio(mask, real);
  } catch (error) {
    if (!(error instanceof ChangeMetricError)) throw error;
    problems.push({ kind: error.code === 'E_MASK_SIZE' ? 'mask_size' : 'unreadable_image', detail: error.message });
  }
}

async function measureLearned(
  models: readonly MetricModel[],
  pair: Parameters<MetricModel['compute']>[0],
  values: Partial<Record<MetricColumn, number>>,
  problems: Problem[],
): Promise<void> {
  const results = await Promise.allSettled(models.map((m) => m.compute(pair)));
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      for (const [column, value] of Object.entries(result.value)) {
        if (Number.isFinite(value)) values[column as MetricColumn] = value;
        else problems.push({ kind: 'model_error', detail: `${models[i].manifest.name} gave a non-finite ${column}` });
      }
    } else {
      problems.push({ kind: 'model_error', detail: `${models[i].manifest.name}: ${errorMessage(result.reason)}` });
    }
  });
}
