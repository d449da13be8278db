/**
 * Prompt-based editing backends behind one contract (contracts.ts EditBackend), chosen by a spec string:
 * 'offline' | 'a1111:URL' | 'comfyui:URL' | 'diffusers:URL'.
 */
import { UserError } from '../../../util/errors.js';
import type { EditBackend } from '../contracts.js';
import { parseBackendSpec } from '../servers/http.js';
import { A1111EditBackend } from './a1111.js';
import { ComfyUIEditBackend } from './comfyui.js';
import { DiffusersEditBackend } from './diffusers.js';
import { EDIT_SPECS, type EditBackendOptions } from './models.js';
import { OfflineEditBackend } from './offline.js';

export { A1111EditBackend } from './a1111.js';
export { ComfyUIEditBackend } from './comfyui.js';
export { DiffusersEditBackend } from './diffusers.js';
export { DEFAULT_EDIT_CHECKPOINTS, DIFFUSERS_EDIT_MODES, EDIT_MODELS, EDIT_SPECS, type DiffusersEditMode, type EditBackendOptions } from './models.js';
export { OfflineEditBackend, OFFLINE_EDIT_MODEL } from './offline.js';


export function createEditBackend(spec: string, options: EditBackendOptions = {}): EditBackend {
  if (options.editMode !== undefined && !spec.trim().startsWith('diffusers:')) {
    throw new UserError(`--edit-mode applies to --edit diffusers:URL only ('${spec.trim()}' has one editing algorithm)`);
  }
  if (spec.trim() === 'offline') return new OfflineEditBackend();
  const { kind, url } = parseBackendSpec(spec, '--edit');
  switch (kind) {
    case 'a1111':
      return new A1111EditBackend(url(), options);
    case 'comfyui':
      return new ComfyUIEditBackend(url(), options);
    case 'diffusers':
      return new DiffusersEditBackend(url(), options);
    default:
      throw new UserError(`unknown editing backend '${spec}' (expected ${EDIT_SPECS})`);
  }
}
