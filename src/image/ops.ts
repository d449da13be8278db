/**
 * Declarative preprocessing ops, as they appear in a detector manifest.
 * Each op mirrors one Pillow / torchvision transform; `preprocess()` in pipeline.ts runs them in order.
 * Ops before `toTensor` work on 8-bit RGB images; ops after it work on the float CHW tensor.
 */

/** Pillow's resampling filters (PIL.Image.Resampling). */
export type ResampleFilter = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

export type PreprocessOp =
  /** torchvision Resize: a number resizes the short side (long side truncated); [h, w] is exact. Pillow filter, default bilinear. */
  | { op: 'resize'; size: number | [number, number]; filter?: ResampleFilter; maxSize?: number }
  /** PIL `Image.resize((w, h), filter)` with an exact size and Pillow's default filter (bicubic) when none is named. */
  | { op: 'pilResize'; width: number; height: number; filter?: ResampleFilter }
  /** torchvision CenterCrop: round-half-to-even offsets, zero padding when the crop is larger than the image. */
  | { op: 'centerCrop'; size: number | [number, number] }
  /**
   * transformers `image_transforms.center_crop` (Hugging Face image processors): offsets floor((H - h) / 2),
   * floor((W - w) / 2), zeros outside. Differs from `centerCrop` by one pixel when a margin is ≡ 3 mod 4.
   */
  | { op: 'centerCropFloor'; size: number | [number, number] }
  /** Crops the last row / column when odd (NPR needs even sizes). */
  | { op: 'cropToEven' }
  /**
   * SemiTruths run_1.py's image stage, mask-guided crop included (run1-crop.ts): needs the sample's mask, gives
   * 224×224. `blurRadius`: the PIL GaussianBlur run_1 applied to UFD's inputs, on the centre-crop path only.
   */
  | { op: 'semitruthsRun1Crop'; blurRadius?: number }
  /**
   * CrossEfficientViT's test transform (cv-area.ts): the long side to `maxSide` with cv2 INTER_AREA (shrinking only),
   * then zero padding to maxSide × maxSide, centred.
   */
  | { op: 'isotropicResizePad'; maxSide: number }
  /** PIL ImageFilter.GaussianBlur(radius). */
  | { op: 'gaussianBlur'; radius: number }
  /** Re-encode as JPEG at a quality, then decode (robustness protocols). Subsampling defaults to Pillow's 4:2:0. */
  | { op: 'jpeg'; quality: number; subsampling?: '4:2:0' | '4:4:4' }
  /** torchvision ToTensor: HWC uint8 → CHW float32 / 255. */
  | { op: 'toTensor' }
  /** torchvision Normalize: (x - mean[c]) / std[c]. */
  | { op: 'normalize'; mean: number[]; std: number[] }
  /** torch.clamp(x, min, max) (the Semi-Truths stress test clamps to [0, 1] after Normalize). */
  | { op: 'clamp'; min: number; max: number }
  /**
   * A Hugging Face image processor (resize shortest edge, center_crop, rescale, normalize) applied to the float
   * tensor a pipeline already made: run_1.py's DINOv2 double preprocessing (hf-reprocess.ts).
   */
  | { op: 'hfProcessorOnTensor'; shortestEdge: number; crop: number; filter?: ResampleFilter; mean: number[]; std: number[] };

export type OpName = PreprocessOp['op'];
