/** One image a loader yields. Loaders stream these; nothing holds the whole set. */
export interface Sample {
  /** Unique within the source (the Evalset's image_path, or the file's relative path). */
  id: string;
  /** Absolute path of the image file. */
  path: string;
  /** 0 = real, 1 = fake. */
  label: 0 | 1;
  /** The real source image's id, shared by a real image and every edit of it (for paired metrics). */
  pairId: string;
  /** Every metadata column of the row, as text; unknown columns are kept. */
  meta: Record<string, string>;
}

/** A source of samples: the Evalset layout, a folder of real/ and fake/, a generated set. */
export interface DataSource {
  /** Where the data lives, for run.json. */
  readonly root: string;
  /** Streams the samples in a stable order. */
  samples(): AsyncIterable<Sample>;
}
