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
import type { ServerOptions } from '../servers/http.js';

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
  const trimmed = spec.trim();
  if (trimmed === 'classical') return new ClassicalBackend();
  const colon = trimmed.indexOf(':');
  const kind = colon > 0 ? trimmed.slice(0, colon) : trimmed;
  const url = colon > 0 ? trimmed.slice(colon + 1) : '';
  const needsUrl = (): string => {
    if (!url) throw new UserError(`--inpaint ${kind} needs the server URL, e.g. ${kind}:http://127.0.0.1:${kind === 'comfyui' ? 8188 : kind === 'a1111' ? 7860 : 8000}`);
    return url;
  };
  switch (kind) {
    case 'a1111':
      return new A1111Backend(needsUrl(), options);
    case 'comfyui':
      return new ComfyUIBackend(needsUrl(), options);
    case 'diffusers':
      return new DiffusersBackend(needsUrl(), options);
    default:
      throw new UserError(`unknown inpainting backend '${spec}' (expected ${INPAINT_SPECS})`);
  }
}
