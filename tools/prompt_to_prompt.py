"""Prompt-to-prompt editing with null-text inversion, as LANCE runs it: the model-independent parts.

LANCE (SemiTruths/image_augmentation/LANCE/lance/edit_images.py and lance/utils/edit_utils.py, adapted from
google/prompt-to-prompt's null_text_w_ptp.ipynb, ptp_utils.py and seq_aligner.py) edits a photo in three steps:

1. DDIM inversion: the photo's latent is walked up the 50-step DDIM schedule under its caption (guidance 1).
2. Null-text optimisation: for each step, the unconditional ("null") text embedding is tuned with Adam (10 inner
   steps, lr 1e-2 * (1 - i/100), early stop at loss < 1e-5 + i * 2e-5) so that guided sampling (7.5) retraces
   the inverted path: the photo is reconstructed almost exactly.
3. Prompt-to-prompt: the batch [caption, edited caption] is sampled from the inverted noise with the tuned null
   embeddings while an attention controller injects the caption's attention into the edited branch: cross-attention
   through the token alignment of the two captions (AttentionRefine; AttentionReplace for a word swap of equal
   token count) for the first 80 % of the steps, self-attention for the first `self_replace_steps`, optionally
   re-weighted (AttentionReweight) and locally blended (LocalBlend).

This module holds everything that does not need a diffusion model: the caption alignment, the controllers' math,
the DDIM step and the inversion/optimisation/sampling loops over a `noise(latent, t, context)` function. It imports
only torch, numpy and lance_settings.py (LANCE's settings), so it runs (and is tested:
tests/generation/generate/prompt_to_prompt_test.py) on small tensors without diffusers or weights. tools/diffusers_server.py plugs the Stable Diffusion UNet, text encoder and
VAE into it through diffusers attention processors.

Attention shapes follow diffusers' Attention.get_attention_scores: (batch * heads, queries, keys), batch order
[unconditional..., conditional...] as classifier-free guidance stacks them. Words are located as
ptp_utils.get_word_inds does: a tokenizer with `encode(text) -> ids` (begin and end tokens included) and
`decode([id]) -> text` (CLIPTokenizer in the server; a tiny stand-in in the tests).
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from lance_settings import LANCE, LOCAL_BLEND_START, LOCAL_BLEND_THRESHOLD, changed_words, instruction  # noqa: F401

MAX_NUM_WORDS = 77  # CLIP's context length: every attention map has this many keys

# ---------------------------------------------------------------------------------------------------------------
# Caption alignment (seq_aligner.py)
# ---------------------------------------------------------------------------------------------------------------

def align_tokens(x: Sequence[int], y: Sequence[int]) -> List[Tuple[int, int]]:
    """Global alignment of token lists x and y (gap 0, match 1, mismatch -1): for each position of y, in order,
    (position in y, aligned position in x or -1 for an inserted token). Ties prefer a gap in x, then a gap in y,
    then the diagonal, as seq_aligner.global_align's traceback does."""
    n, m = len(x), len(y)
    score = np.zeros((n + 1, m + 1), dtype=np.int64)
    move = np.zeros((n + 1, m + 1), dtype=np.int64)  # 1 left (y token unmatched), 2 up (x token dropped), 3 diagonal
    move[0, 1:], move[1:, 0] = 1, 2
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            left, up = score[i, j - 1], score[i - 1, j]
            diag = score[i - 1, j - 1] + (1 if x[i - 1] == y[j - 1] else -1)
            score[i, j] = max(left, up, diag)
            move[i, j] = 1 if score[i, j] == left else 2 if score[i, j] == up else 3
    pairs = []
    i, j = n, m
    while i > 0 or j > 0:
        if move[i, j] == 3:
            i, j = i - 1, j - 1
            pairs.append((j, i))
        elif move[i, j] == 1:
            j -= 1
            pairs.append((j, -1))
        else:
            i -= 1
    return pairs[::-1]


def refinement_mapper(source: str, target: str, tokenizer, max_len: int = MAX_NUM_WORDS):
    """AttentionRefine's map from the target caption's tokens to the source's: `mapper[k]` is the source token
    whose attention target token k takes, `alphas[k]` is 0 for a token the source lacks (it keeps its own
    attention). Positions past the target's tokens map to themselves shifted as seq_aligner.get_mapper does."""
    x, y = tokenizer.encode(source), tokenizer.encode(target)
    pairs = align_tokens(x, y)
    mapper = torch.zeros(max_len, dtype=torch.int64)
    alphas = torch.ones(max_len)
    aligned = torch.tensor([p[1] for p in pairs], dtype=torch.int64)
    mapper[: len(pairs)] = aligned
    alphas[: len(pairs)] = aligned.ne(-1).float()
    mapper[len(pairs):] = len(y) + torch.arange(max_len - len(y))
    return mapper, alphas


def word_token_indices(text: str, word: Union[str, int], tokenizer) -> np.ndarray:
    """The token positions (begin token = 0) of a word of `text`, given as the word itself (every occurrence,
    split on single spaces, exact match) or as its index; ptp_utils.get_word_inds."""
    words = text.split(" ")
    places = [i for i, w in enumerate(words) if w == word] if isinstance(word, str) else [word]
    out = []
    if places:
        pieces = [tokenizer.decode([t]).strip("#") for t in tokenizer.encode(text)][1:-1]
        length, place = 0, 0
        for k, piece in enumerate(pieces):
            length += len(piece)
            if place in places:
                out.append(k + 1)
            if length >= len(words[place]):
                place, length = place + 1, 0
    return np.array(out, dtype=np.int64)


def replacement_mapper(source: str, target: str, tokenizer, max_len: int = MAX_NUM_WORDS) -> torch.Tensor:
    """AttentionReplace's (max_len x max_len) map for captions with the same number of words: identity on shared
    words; a swapped word's source tokens spread evenly over its target tokens. seq_aligner.get_replacement_mapper_."""
    sw, tw = source.split(" "), target.split(" ")
    if len(sw) != len(tw):
        raise ValueError(f"attention replacement needs captions with the same number of words ({len(sw)} vs {len(tw)})")
    swapped = [i for i in range(len(tw)) if tw[i] != sw[i]]
    src = [word_token_indices(source, i, tokenizer) for i in swapped]
    tgt = [word_token_indices(target, i, tokenizer) for i in swapped]
    mapper = np.zeros((max_len, max_len))
    i = j = k = 0
    while i < max_len and j < max_len:
        if k < len(src) and src[k][0] == i:
            if len(src[k]) == len(tgt[k]):
                mapper[src[k], tgt[k]] = 1
            else:
                for t in tgt[k]:
                    mapper[src[k], t] = 1 / len(tgt[k])
            i, j, k = i + len(src[k]), j + len(tgt[k]), k + 1
        elif k < len(src):
            mapper[i, j] = 1
            i, j = i + 1, j + 1
        else:  # past the last swap the reference writes the diagonal (j, j)
            mapper[j, j] = 1
            i, j = i + 1, j + 1
    return torch.from_numpy(mapper).float()


def same_token_count(source: str, target: str, tokenizer) -> bool:
    """Whether AttentionReplace applies: same number of words and of tokens (a swap of equal token count)."""
    return len(source.split(" ")) == len(target.split(" ")) and len(tokenizer.encode(source)) == len(tokenizer.encode(target))


# ---------------------------------------------------------------------------------------------------------------
# Attention control (null_text_w_ptp.ipynb / LANCE edit_utils.py)
# ---------------------------------------------------------------------------------------------------------------

def cross_replace_alpha(num_prompts: int, num_steps: int, bounds: Union[float, Tuple[float, float]],
                        max_len: int = MAX_NUM_WORDS) -> torch.Tensor:
    """(num_steps + 1, num_prompts - 1, 1, 1, max_len): 1 where an edited prompt's cross-attention is replaced.
    A float bound b means steps [0, int(b * (num_steps + 1))) (ptp_utils.get_time_words_attention_alpha with
    only the "default_" entry, which is what LANCE passes)."""
    start, end = (0.0, bounds) if isinstance(bounds, float) else bounds
    alpha = torch.zeros(num_steps + 1, num_prompts - 1, max_len)
    alpha[int(start * (num_steps + 1)): int(end * (num_steps + 1))] = 1
    return alpha.reshape(num_steps + 1, num_prompts - 1, 1, 1, max_len)


def equalizer(texts: Sequence[str], words: Sequence[str], values: Sequence[float], tokenizer,
              max_len: int = MAX_NUM_WORDS) -> torch.Tensor:
    """(len(texts), max_len) re-weighting of cross-attention: words[k] (several space-separated words allowed) of
    texts[k] gets values[k], every other token 1 (LANCE's get_equalizer)."""
    eq = torch.ones(len(texts), max_len)
    for k, (word, value) in enumerate(zip(words, values)):
        inds = np.concatenate([word_token_indices(texts[k], w, tokenizer) for w in word.split(" ")] or [np.zeros(0, np.int64)])
        eq[k, inds] = value
    return eq


class Controller:
    """Edits the conditional half of every attention map of a UNet run (AttentionControl + AttentionStore +
    AttentionControlEdit). Called once per attention layer per step as `attn = controller(attn, is_cross, place)`;
    after `num_layers` calls the step advances. `full_res` is the number of queries of the latent's full
    resolution: self-attention is replaced only in coarser layers (prompt-to-prompt's `<= 32**2` at 512x512);
    `blend_res` the number of queries at a quarter of it, whose cross-attention maps a LocalBlend reads (the
    16x16 maps at 512x512)."""

    def __init__(self, batch_size: int, num_layers: int, num_steps: int, cross_alpha: torch.Tensor,
                 self_replace_steps: Union[float, Tuple[float, float]], full_res: int, blend_res: int = 0,
                 local_blend: Optional["LocalBlend"] = None):
        self.batch_size, self.num_layers = batch_size, num_layers
        self.cross_alpha = cross_alpha
        start, end = (0.0, self_replace_steps) if isinstance(self_replace_steps, float) else self_replace_steps
        self.self_replace = int(num_steps * start), int(num_steps * end)
        self.full_res, self.blend_res = full_res, blend_res
        self.local_blend = local_blend
        self.cur_step = self.cur_layer = 0
        self.step_store: Dict[str, List[torch.Tensor]] = {}
        self.store: Dict[str, List[torch.Tensor]] = {}  # cross maps at blend_res, summed over the steps so far

    def __call__(self, attn: torch.Tensor, is_cross: bool, place: str) -> torch.Tensor:
        half = attn.shape[0] // 2
        attn[half:] = self.forward(attn[half:], is_cross, place)
        self.cur_layer += 1
        if self.cur_layer == self.num_layers:
            self.cur_layer = 0
            self.cur_step += 1
            self.between_steps()
        return attn

    def forward(self, attn: torch.Tensor, is_cross: bool, place: str) -> torch.Tensor:
        if self.local_blend is not None and is_cross and attn.shape[1] == self.blend_res:
            self.step_store.setdefault(place, []).append(attn)
        if not is_cross and not self.self_replace[0] <= self.cur_step < self.self_replace[1]:
            return attn
        heads = attn.shape[0] // self.batch_size
        attn = attn.reshape(self.batch_size, heads, *attn.shape[1:])
        base, edited = attn[0], attn[1:]
        if is_cross:
            alpha = self.cross_alpha[self.cur_step]
            attn[1:] = self.replace_cross(base, edited) * alpha + (1 - alpha) * edited
        elif edited.shape[2] < self.full_res:
            attn[1:] = base.unsqueeze(0).expand(edited.shape[0], *base.shape)
        return attn.reshape(self.batch_size * heads, *attn.shape[2:])

    def replace_cross(self, base: torch.Tensor, edited: torch.Tensor) -> torch.Tensor:
        """The edited prompts' cross-attention (prompts-1, heads, queries, keys) from the source's (heads, ...)."""
        raise NotImplementedError

    def between_steps(self) -> None:
        for place, maps in self.step_store.items():
            kept = self.store.setdefault(place, [])
            for k, m in enumerate(maps):
                if k < len(kept):
                    kept[k] = kept[k] + m
                else:
                    kept.append(m)
        self.step_store = {}

    def step_callback(self, x_t: torch.Tensor) -> torch.Tensor:
        """Called on the latents after each sampling step (LocalBlend, when there is one)."""
        return x_t if self.local_blend is None else self.local_blend(x_t, self.store)


class AttentionReplace(Controller):
    """Word swap: each edited prompt attends exactly as the source does, through the replacement mapper."""

    def __init__(self, mapper: torch.Tensor, **kwargs):
        super().__init__(**kwargs)
        self.mapper = mapper  # (prompts-1, keys, keys)

    def replace_cross(self, base, edited):
        return torch.einsum("hpw,bwn->bhpn", base, self.mapper)


class AttentionRefine(Controller):
    """Any caption change: aligned tokens take the source's attention, inserted tokens keep their own."""

    def __init__(self, mapper: torch.Tensor, alphas: torch.Tensor, **kwargs):
        super().__init__(**kwargs)
        self.mapper = mapper  # (prompts-1, keys) source token per edited token
        self.alphas = alphas.reshape(alphas.shape[0], 1, 1, alphas.shape[1])

    def replace_cross(self, base, edited):
        mapped = base[:, :, self.mapper].permute(2, 0, 1, 3)
        return mapped * self.alphas + edited * (1 - self.alphas)


class AttentionReweight(Controller):
    """Scales the edited prompts' cross-attention per token (equalizer) after another controller's replacement."""

    def __init__(self, equalizer: torch.Tensor, inner: Controller, **kwargs):
        super().__init__(**kwargs)
        self.equalizer, self.inner = equalizer, inner

    def replace_cross(self, base, edited):
        return self.inner.replace_cross(base, edited) * self.equalizer[:, None, None, :]


class LocalBlend:
    """Keeps the source latent outside the edited words' attention: after `start_step` steps, the edited latents
    are x_src + mask * (x - x_src), where the mask is the prompts' summed cross-attention on their blend words
    (max-pooled 3x3, resized to the latent, normalised by its maximum, above `threshold`), or-ed with the
    source's. `words[k]` are prompt k's blend words; `map_size` the (h, w) of the maps at blend resolution."""

    def __init__(self, prompts: Sequence[str], words: Sequence[Sequence[str]], tokenizer, map_size: Tuple[int, int],
                 num_steps: int, start: float = LOCAL_BLEND_START, threshold: float = LOCAL_BLEND_THRESHOLD,
                 max_len: int = MAX_NUM_WORDS):
        alpha = torch.zeros(len(prompts), 1, 1, 1, 1, max_len)
        for k, (prompt, ws) in enumerate(zip(prompts, words)):
            for w in [ws] if isinstance(ws, str) else ws:
                alpha[k, :, :, :, :, word_token_indices(prompt, w, tokenizer)] = 1
        self.alpha, self.map_size = alpha, map_size
        self.start_step, self.threshold = int(start * num_steps), threshold
        self.counter = 0

    def mask(self, store: Dict[str, List[torch.Tensor]], latent_size: Tuple[int, int]) -> torch.Tensor:
        # prompt-to-prompt reads down_cross[2:4] + up_cross[:3]: at 512x512 exactly the 16x16 (blend_res) maps
        maps = store.get("down", []) + store.get("up", [])
        batch = self.alpha.shape[0]
        maps = torch.cat([m.reshape(batch, -1, 1, *self.map_size, m.shape[-1]) for m in maps], dim=1)
        m = (maps * self.alpha.to(maps.device)).sum(-1).mean(1)
        m = F.max_pool2d(m, (3, 3), (1, 1), padding=(1, 1))
        m = F.interpolate(m, size=latent_size)
        m = m / m.max(2, keepdim=True)[0].max(3, keepdim=True)[0]
        m = m.gt(self.threshold)
        return (m[:1] + m).float()

    def __call__(self, x_t: torch.Tensor, store: Dict[str, List[torch.Tensor]]) -> torch.Tensor:
        self.counter += 1
        if self.counter > self.start_step:
            mask = self.mask(store, tuple(x_t.shape[2:]))
            x_t = x_t[:1] + mask * (x_t - x_t[:1])
        return x_t


def make_controller(source: str, target: str, tokenizer, *, num_layers: int, latent_size: Tuple[int, int],
                    num_steps: int = LANCE["steps"], cross_replace_steps: float = LANCE["cross_replace_steps"],
                    self_replace_steps: float = LANCE["self_replace_steps"],
                    edit_word_weight: float = LANCE["edit_word_weight"], local_blend: bool = LANCE["local_blend"],
                    replace: Optional[bool] = None) -> Controller:
    """The controller for editing `source` into `target` (batch [source, target]). `replace` None picks
    AttentionReplace for a word swap of equal token count and AttentionRefine otherwise (LANCE always refines:
    pass replace=False for that); a word weight other than 1 re-weights the target's new words; `local_blend`
    blends on the changed words. `num_layers` is the number of attention layers the controller is registered in."""
    prompts = [source, target]
    h, w = latent_size
    half = lambda n: -(-n // 2)  # a stride-2 UNet downsample (padding 1) rounds up
    blend_size = (half(half(h)), half(half(w)))  # 64x64 latent (512x512 image) -> 16x16 maps
    removed, added = changed_words(source, target)
    common = dict(batch_size=2, num_layers=num_layers, num_steps=num_steps,
                  cross_alpha=cross_replace_alpha(2, num_steps, cross_replace_steps),
                  self_replace_steps=self_replace_steps, full_res=h * w, blend_res=blend_size[0] * blend_size[1])
    if local_blend:
        common["local_blend"] = LocalBlend(prompts, [removed, added], tokenizer, blend_size, num_steps)
    if replace is None:
        replace = same_token_count(source, target, tokenizer)
    if replace:
        controller = AttentionReplace(replacement_mapper(source, target, tokenizer).unsqueeze(0), **common)
    else:
        mapper, alphas = refinement_mapper(source, target, tokenizer)
        controller = AttentionRefine(mapper.unsqueeze(0), alphas.unsqueeze(0), **common)
    if edit_word_weight != 1 and added:
        eq = equalizer([target], [" ".join(added)], [edit_word_weight], tokenizer)
        controller = AttentionReweight(eq, controller, **common)
    return controller


# ---------------------------------------------------------------------------------------------------------------
# DDIM: inversion, null-text optimisation, controlled sampling
# ---------------------------------------------------------------------------------------------------------------

class DDIMSchedule:
    """The deterministic DDIM path (eta 0, no clipping) of diffusers' DDIMScheduler: `alphas_cumprod` of the
    training schedule, `final_alpha_cumprod` for the step below t = 0 (alphas_cumprod[0] with
    set_alpha_to_one=False), `timesteps` descending, `step` = training steps // inference steps."""

    def __init__(self, alphas_cumprod: torch.Tensor, final_alpha_cumprod: torch.Tensor, timesteps: Sequence[int], step: int):
        self.alphas_cumprod, self.final_alpha_cumprod = alphas_cumprod, final_alpha_cumprod
        self.timesteps, self.step = [int(t) for t in timesteps], step

    @classmethod
    def lance(cls, num_steps: int = LANCE["steps"], num_train: int = 1000) -> "DDIMSchedule":
        """LANCE's scheduler: DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        clip_sample=False, set_alpha_to_one=False, steps_offset=1), set to `num_steps` steps."""
        betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, num_train, dtype=torch.float32) ** 2
        alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
        step = num_train // num_steps
        timesteps = (np.arange(0, num_steps) * step).round()[::-1].astype(np.int64) + 1
        return cls(alphas_cumprod, alphas_cumprod[0], timesteps, step)

    def alpha(self, t: int) -> torch.Tensor:
        return self.alphas_cumprod[t] if t >= 0 else self.final_alpha_cumprod

    def prev_step(self, eps: torch.Tensor, t: int, x: torch.Tensor) -> torch.Tensor:
        """x_t -> x_{t - step} (DDIMScheduler.step with eta 0)."""
        return ddim_move(eps, self.alpha(t), self.alpha(t - self.step), x)

    def next_step(self, eps: torch.Tensor, t: int, x: torch.Tensor) -> torch.Tensor:
        """x_{t - step} -> x_t, the inversion step (NullInversion.next_step)."""
        return ddim_move(eps, self.alpha(min(t - self.step, 999)), self.alphas_cumprod[t], x)


def ddim_move(eps: torch.Tensor, alpha_from: torch.Tensor, alpha_to: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Moves x from noise level alpha_from to alpha_to along DDIM's deterministic path for noise estimate eps."""
    x0 = (x - (1 - alpha_from) ** 0.5 * eps) / alpha_from ** 0.5
    return alpha_to ** 0.5 * x0 + (1 - alpha_to) ** 0.5 * eps


Noise = Callable[[torch.Tensor, int, torch.Tensor], torch.Tensor]  # (latents, t, text embeddings) -> predicted noise


def guided(noise: Noise, latents: torch.Tensor, t: int, uncond: torch.Tensor, cond: torch.Tensor, scale: float) -> torch.Tensor:
    """Classifier-free guidance over one batched call: [uncond; cond] as diffusers and ptp_utils.diffusion_step stack it."""
    out = noise(torch.cat([latents] * 2), t, torch.cat([uncond, cond]))
    out_uncond, out_cond = out.chunk(2)
    return out_uncond + scale * (out_cond - out_uncond)


@torch.no_grad()
def ddim_invert(latent: torch.Tensor, cond: torch.Tensor, noise: Noise, schedule: DDIMSchedule) -> List[torch.Tensor]:
    """The DDIM inversion path [x_0, ..., x_T] of `latent` under text embeddings `cond` (no guidance)."""
    path = [latent]
    x = latent.clone()
    for t in reversed(schedule.timesteps):
        x = schedule.next_step(noise(x, t, cond), t, x)
        path.append(x)
    return path


def null_text_optimise(path: List[torch.Tensor], uncond: torch.Tensor, cond: torch.Tensor, noise: Noise,
                       schedule: DDIMSchedule, guidance_scale: float = LANCE["guidance_scale"],
                       inner_steps: int = LANCE["null_text_steps"], epsilon: float = LANCE["null_text_epsilon"]) -> List[torch.Tensor]:
    """Null-text optimisation (NullInversion.null_optimization): one unconditional embedding per step such that
    guided DDIM sampling from path[-1] lands on each earlier point of the inversion path."""
    result = []
    x = path[-1]
    for i, t in enumerate(schedule.timesteps):
        uncond = uncond.clone().detach().requires_grad_(True)
        optimiser = torch.optim.Adam([uncond], lr=1e-2 * (1.0 - i / 100.0))
        target = path[len(path) - i - 2]
        with torch.no_grad():
            eps_cond = noise(x, t, cond)
        for _ in range(inner_steps):
            eps_uncond = noise(x, t, uncond)
            eps = eps_uncond + guidance_scale * (eps_cond - eps_uncond)
            loss = F.mse_loss(schedule.prev_step(eps, t, x), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if loss.item() < epsilon + i * 2e-5:
                break
        result.append(uncond[:1].detach())
        with torch.no_grad():
            x = schedule.prev_step(guided(noise, x, t, uncond, cond, guidance_scale), t, x)
    return result


@torch.no_grad()
def sample(x_T: torch.Tensor, cond: torch.Tensor, uncond_per_step: List[torch.Tensor], noise: Noise,
           schedule: DDIMSchedule, guidance_scale: float = LANCE["guidance_scale"],
           step_callback: Callable[[torch.Tensor], torch.Tensor] = lambda x: x) -> torch.Tensor:
    """Guided DDIM sampling of the prompts `cond` (batch B) from one inverted latent, with step i's null
    embedding for every prompt (LANCE's text2image with uncond_embeddings); step_callback after each step."""
    x = x_T.expand(cond.shape[0], *x_T.shape[1:])
    for i, t in enumerate(schedule.timesteps):
        uncond = uncond_per_step[i].expand(*cond.shape)
        x = schedule.prev_step(guided(noise, x, t, uncond, cond, guidance_scale), t, x)
        x = step_callback(x)
    return x
