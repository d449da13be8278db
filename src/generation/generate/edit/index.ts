/**
 * Prompt-based editing backends behind one contract (contracts.ts EditBackend), chosen by a spec string:
 * 'offline' | 'a1111:URL' | 'comfyui:URL' | 'diffusers:URL'.
 */
import { UserError } from '../../../util/errors.js';
import type { EditBackend } from '../contracts.js';
import type { InpaintBackendOptions } from '../inpaint/index.js';
import { OfflineEditBackend } from './offline.js';

export { OfflineEditBackend, OFFLINE_EDIT_MODEL } from './offline.js';

/** The same options as the inpainting backends: HTTP policy, checkpoint names, a ComfyUI workflow template. */
export type EditBackendOptions = InpaintBackendOptions;

export const EDIT_SPECS = 'offline | a1111:URL | comfyui:URL | diffusers:URL';

export function createEditBackend(spec: string, _options: EditBackendOptions = {}): EditBackend {
  const trimmed = spec.trim();
  if (trimmed === 'offline') return new OfflineEditBackend();
  const colon = trimmed.indexOf(':');
  const kind = colon > 0 ? trimmed.slice(0, colon) : trimmed;
  const url = colon > 0 ? trimmed.slice(colon + 1) : '';
  switch (kind) {
    case 'a1111':
    case 'comfyui':
    case 'diffusers':
      // The HTTP edit backends (edit/a1111.ts, comfyui.ts, diffusers.ts) come with their own change.
      if (!url) throw new UserError(`--edit ${kind} needs the server URL, e.g. ${kind}:http://127.0.0.1:${kind === 'comfyui' ? 8188 : kind === 'a1111' ? 7860 : 8000}`);
      throw new UserError(`--edit ${kind} is not available in this build (use --edit offline).`);
    default:
      throw new UserError(`unknown editing backend '${spec}' (expected ${EDIT_SPECS})`);
  }
}
