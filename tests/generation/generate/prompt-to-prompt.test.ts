// The model-independent half of the diffusers server's prompt-to-prompt edit (tools/prompt_to_prompt.py: caption
// alignment, attention controllers, LocalBlend, DDIM inversion, null-text optimisation) is tested in Python on
// small tensors (prompt_to_prompt_test.py beside this file); this runs it with Debian's torch.
import { describe, expect, it } from 'vitest';
import { skipWithoutReference } from '../../helpers.js';
import { pythonModulesMissing, runPython } from '../../export/python.js';

const missing = pythonModulesMissing('torch, numpy');

describe('tools/prompt_to_prompt.py (LANCE prompt-to-prompt without weights)', () => {
  it.skipIf(skipWithoutReference('prompt-to-prompt', missing && `${missing}. Install python3-torch (Debian) to run it.`))(
    'passes its Python unit tests',
    async () => {
      const { code, output } = await runPython(['-m', 'unittest', '-v', 'tests/generation/generate/prompt_to_prompt_test.py']);
      expect(output).toMatch(/Ran 21 tests/);
      expect(code, output).toBe(0);
    },
  );
});
