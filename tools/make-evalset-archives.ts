/**
 * Builds the bundled eval set (fixtures/evalset) as the Semi-Truths Evalset was published (semi-truths-dataset.md
 * §4), with the system tar and bzip2, beside the same files extracted:
 *
 *   npx tsx tools/make-evalset-archives.ts OUT_DIR [--layout restructured|10p] [--damaged]
 *
 * restructured (default): metadata.csv + original/images/{DS}.tar.bz2, original/masks/{DS}.tar.bz2,
 *   inpainting/{DS}.tar.bz2, p2p/{DS}.tar.bz2. Members carry different leading folders, as the release's are not
 *   known: `{DS}/x.jpg`, `./x.jpg` (CelebAHQ images), `original/images/OpenImages/x.jpg`.
 * 10p (the first version): semi_truths_10p_{0,1,2}.tar.bz2 at the top, each holding whole top-level folders of
 *   the eval set under a `semi_truths_10p/` folder (INFERRED from the part sizes: _1 ≈ the p2p archives, _2 ≈ the
 *   originals); metadata.csv inside _0 (`--metadata-beside`: beside the parts instead, as at commit 16fb841).
 * OUT_DIR/extracted: the eval set as files (metadata.csv and the images), to compare against.
 * --damaged: restructured: p2p/CelebAHQ.tar.bz2 becomes a 46-byte Git-LFS stub and original/images/CityScapes.tar.bz2
 *   is cut in half; 10p: semi_truths_10p_1.tar.bz2 is cut in half.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const EVALSET = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/evalset');
const DATASETS = ['ADE20K', 'CelebAHQ', 'CityScapes', 'OpenImages'];

/** Which archives --damaged breaks (relative to the archived folder). */
export const DAMAGE = {
  restructured: { stub: 'p2p/CelebAHQ.tar.bz2', truncated: 'original/images/CityScapes.tar.bz2' },
  '10p': { truncated: 'semi_truths_10p_1.tar.bz2' },
} as const;

export type EvalsetArchiveLayout = 'restructured' | '10p';

export function makeEvalsetArchives(
  out: string,
  options: { layout?: EvalsetArchiveLayout; damaged?: boolean; metadataBeside?: boolean } = {},
): { archived: string; extracted: string } {
  const layout = options.layout ?? 'restructured';
  const archived = join(out, 'archived');
  const extracted = join(out, 'extracted');
  cpSync(EVALSET, extracted, { recursive: true });
  mkdirSync(archived, { recursive: true });
  /** tar (members as listed, relative to `cwd`, in name order) | bzip2 -9 into `archive`. */
  const tarBz2 = (archive: string, cwd: string, members: string[]) => {
    const tar = execFileSync('tar', ['-C', cwd, '-cf', '-', ...members.sort()], { maxBuffer: 1 << 28 });
    mkdirSync(dirname(join(archived, archive)), { recursive: true });
    writeFileSync(join(archived, archive), execFileSync('bzip2', ['-9', '-c'], { input: tar, maxBuffer: 1 << 28 }));
  };
  if (layout === 'restructured') {
    cpSync(join(EVALSET, 'metadata.csv'), join(archived, 'metadata.csv'));
    for (const ds of DATASETS) {
      if (ds === 'CelebAHQ') tarBz2(`original/images/${ds}.tar.bz2`, join(EVALSET, 'original/images', ds), ['.']);
      else if (ds === 'OpenImages') tarBz2(`original/images/${ds}.tar.bz2`, EVALSET, [`original/images/${ds}`]);
      else tarBz2(`original/images/${ds}.tar.bz2`, join(EVALSET, 'original/images'), [ds]);
      tarBz2(`original/masks/${ds}.tar.bz2`, join(EVALSET, 'original/masks'), [ds]);
      tarBz2(`inpainting/${ds}.tar.bz2`, join(EVALSET, 'inpainting'), [ds]);
      tarBz2(`p2p/${ds}.tar.bz2`, join(EVALSET, 'p2p'), [ds]);
    }
    if (options.damaged) {
      const { stub, truncated } = DAMAGE.restructured;
      writeFileSync(join(archived, stub), 'version https://git-lfs.github.com/spec/v1\noid sha256:'.slice(0, 46));
      truncateSync(join(archived, truncated), Math.floor(statSync(join(archived, truncated)).size / 2));
    }
  } else {
    // One folder named after the set, as `tar -C parent -cjf semi_truths_10p_k.tar.bz2 semi_truths_10p/...` makes.
    const staged = join(out, 'staged');
    cpSync(EVALSET, join(staged, 'semi_truths_10p'), { recursive: true });
    const metadata = options.metadataBeside ? [] : ['semi_truths_10p/metadata.csv'];
    if (options.metadataBeside) cpSync(join(EVALSET, 'metadata.csv'), join(archived, 'metadata.csv'));
    tarBz2('semi_truths_10p_0.tar.bz2', staged, [...metadata, 'semi_truths_10p/inpainting']);
    tarBz2('semi_truths_10p_1.tar.bz2', staged, ['semi_truths_10p/p2p']);
    tarBz2('semi_truths_10p_2.tar.bz2', staged, ['semi_truths_10p/original']);
    if (options.damaged) {
      const { truncated } = DAMAGE['10p'];
      truncateSync(join(archived, truncated), Math.floor(statSync(join(archived, truncated)).size / 2));
    }
  }
  return { archived, extracted };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const out = args[0]?.startsWith('--') ? undefined : args[0];
  const layoutAt = args.indexOf('--layout');
  const layout = (layoutAt >= 0 ? args[layoutAt + 1] : 'restructured') as EvalsetArchiveLayout;
  if (!out || !['restructured', '10p'].includes(layout)) throw new Error('usage: tsx tools/make-evalset-archives.ts OUT_DIR [--layout restructured|10p] [--damaged] [--metadata-beside]');
  const made = makeEvalsetArchives(resolve(out), { layout, damaged: args.includes('--damaged'), metadataBeside: args.includes('--metadata-beside') });
  console.log(`archived: ${made.archived}\nextracted: ${made.extracted}`);
}
