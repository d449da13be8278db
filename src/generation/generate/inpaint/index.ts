/**
 * Inpainting backends behind one contract (contracts.ts InpaintBackend), chosen by a spec string:
 * 'classical' | 'a1111:URL' | 'comfyui:URL' | 'diffusers:URL'.
 */
import { UserError } from '../../../util/errors.js';
import type { InpaintBackend } from '../contracts.js';
import { A1111Backend } from './a1111.js';
import { ClassicalBackend } from './classical.js';
import { ComfyUIBackend } from './comfyui.js';
import { DiffusersBackend } from './diffusers.js';
import { parseBackendSpec, type ServerOptions } from '../servers/http.js';

export { A1111Backend } from './a1111.js';
export { ClassicalBackend, TELEA_MODEL } from './classical.js';
export { ComfyUIBackend } from './comfyui.js';
export { DiffusersBackend } from './diffusers.js';
export { InpaintFailure } from './failure.js';
export { AUTHORS_MODELS, DEFAULT_CHECKPOINTS } from './models.js';

/** HTTP policy, checkpoints (merged over DEFAULT_CHECKPOINTS) and ComfyUI workflow, as every server backend takes them. */
export type InpaintBackendOptions = ServerOptions;

export const INPAINT_SPECS = 'classical | a1111:URL | comfyui:URL | diffusers:URL';

export function createInpaintBackend(spec: string, options: InpaintBackendOptions = {}): InpaintBackend {
  if (spec.trim() === 'classical') return new ClassicalBackend();
  const { kind, url } = parseBackendSpec(spec, '--inpaint');
  switch (kind) {
    case 'a1111':
      return new A1111Backend(url(), options);
    case 'comfyui':
      return new ComfyUIBackend(url(), options);
    case 'diffusers':
      return new DiffusersBackend(url(), options);
    default:
      throw new UserError(`unknown inpainting backend '${spec}' (expected ${INPAINT_SPECS})`);
  }
}
