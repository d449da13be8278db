"""LANCE's prompt-to-prompt settings and the caption word diff: what the diffusers server checks a request
against before any model runs. No torch here, so `tools/diffusers_server.py --dry-run` needs only Pillow;
tools/prompt_to_prompt.py does the tensor work."""
from typing import List, Tuple

# LANCE's settings (edit_images.py ImageEditor defaults, edit_utils.py constants). What LANCE keeps: it sweeps
# self_replace_steps over 0.4..0.8 and saves every edit that passes its CLIP checks to the same file, so the
# last passing value, 0.8, is the image it keeps; its word re-weighting (edit_word_weight 2.0) is read from
# generators that the first sweep value exhausts, so every later value, 0.8 included, re-weights by 1 (none);
# its LocalBlend is built but never applied (its AttentionControlEdit.step_callback returns x_t unchanged).
LANCE = {
    "steps": 50,
    "guidance_scale": 7.5,
    "cross_replace_steps": 0.8,
    "self_replace_steps": 0.8,
    "edit_word_weight": 1.0,
    "local_blend": False,
    "null_text_steps": 10,
    "null_text_epsilon": 1e-5,
}
# LocalBlend's defaults in prompt-to-prompt (start after 20 % of the steps, threshold 0.3 on the normalised map).
LOCAL_BLEND_START = 0.2
LOCAL_BLEND_THRESHOLD = 0.3


def changed_words(source: str, target: str) -> Tuple[List[str], List[str]]:
    """The words of `source` missing from `target` and those of `target` missing from `source` (in order): what
    LANCE's caption editor reports as `original` and `edit`, recovered from the two captions."""
    s, t = source.split(" "), target.split(" ")
    return [w for w in s if w not in t], [w for w in t if w not in s]


def instruction(source: str, target: str) -> str:
    """An instruct-pix2pix instruction for turning the source caption into the target one."""
    removed, added = changed_words(source.strip(), target.strip())
    if removed and added:
        return f"replace the {' '.join(removed)} with {' '.join(added)}"
    if added:
        return f"add {' '.join(added)}"
    if removed:
        return f"remove the {' '.join(removed)}"
    return f"make it {target.strip()}"
