"""Unit tests of tools/prompt_to_prompt.py (the model-independent half of the diffusers server's p2p edit) on
small tensors with a tiny tokenizer stand-in. Run by prompt-to-prompt.test.ts; alone:
    python3 -m unittest tests/generation/generate/prompt_to_prompt_test.py
The expected mappings were worked out by hand from the reference algorithm (seq_aligner.py, ptp_utils.py)."""
import os
import sys
import unittest

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools"))
import prompt_to_prompt as p2p  # noqa: E402

BOS, EOS = 0, 1


class TinyTokenizer:
    """CLIPTokenizer's two calls p2p needs: encode (with begin/end tokens) and decode of one token. Words are
    tokens, except a few that split into two pieces, as BPE splits rare words."""

    SPLIT = {"zebra": ["zeb", "ra"], "sunflowers": ["sun", "flowers"]}

    def __init__(self):
        self.vocab = ["<bos>", "<eos>"]

    def encode(self, text):
        pieces = [p for w in text.split(" ") for p in self.SPLIT.get(w, [w])]
        for p in pieces:
            if p not in self.vocab:
                self.vocab.append(p)
        return [BOS] + [self.vocab.index(p) for p in pieces] + [EOS]

    def decode(self, ids):
        return "".join(self.vocab[i] for i in ids)


def rest(start, length=77):
    """mapper[k] = k for the padding positions from `start` on (get_mapper's tail)."""
    return list(range(start, length))


class Alignment(unittest.TestCase):
    def setUp(self):
        self.tok = TinyTokenizer()

    def test_inserted_word_keeps_its_own_attention(self):
        # x = <bos> a cat sitting on a mat <eos>; y = <bos> a big cat sitting on a mat <eos>: every x token is
        # matched (8 matches, the only alignment with that score), "big" (y[2]) is an insertion.
        mapper, alphas = p2p.refinement_mapper("a cat sitting on a mat", "a big cat sitting on a mat", self.tok)
        self.assertEqual(mapper.tolist(), [0, 1, -1, 2, 3, 4, 5, 6, 7] + rest(9))
        self.assertEqual(alphas.tolist(), [1, 1, 0] + [1] * 74)

    def test_deleted_word_is_skipped(self):
        # x = <bos> a small red car <eos>; y = <bos> a red car <eos>: y's tokens align to x's 0, 1, 3, 4, 5.
        mapper, alphas = p2p.refinement_mapper("a small red car", "a red car", self.tok)
        self.assertEqual(mapper.tolist(), [0, 1, 3, 4, 5] + rest(5))
        self.assertEqual(alphas.tolist(), [1] * 77)

    def test_swap_to_a_two_token_word(self):
        # x = <bos> a horse in a field <eos> (7); y = <bos> a zeb ra in a field <eos> (8). Gaps are free and a
        # mismatch costs 1, so the best alignment (6 matches) drops "horse" and inserts both "zeb" and "ra":
        # they keep their own attention (alpha 0), the other tokens take the source's.
        mapper, alphas = p2p.refinement_mapper("a horse in a field", "a zebra in a field", self.tok)
        self.assertEqual(mapper.tolist(), [0, 1, -1, -1, 3, 4, 5, 6] + rest(8))
        self.assertEqual(alphas.tolist(), [1, 1, 0, 0] + [1] * 73)

    def test_word_token_indices(self):
        self.assertEqual(p2p.word_token_indices("a zebra in a field", "zebra", self.tok).tolist(), [2, 3])
        self.assertEqual(p2p.word_token_indices("a zebra in a field", "a", self.tok).tolist(), [1, 5])
        self.assertEqual(p2p.word_token_indices("a zebra in a field", 3, self.tok).tolist(), [5])
        self.assertEqual(p2p.word_token_indices("a zebra in a field", "cow", self.tok).tolist(), [])

    def test_replacement_mapper_equal_token_swap_is_the_identity(self):
        m = p2p.replacement_mapper("a horse in a field", "a cow in a field", self.tok)
        self.assertTrue(torch.equal(m, torch.eye(77)))

    def test_replacement_mapper_spreads_a_word_over_its_tokens(self):
        # horse (source token 2) -> zeb, ra (target tokens 2, 3) at 1/2 each; past the swap the reference writes
        # the diagonal (j, j) from j = 4 on, so source token 3 ("in") maps nowhere: AttentionReplace needs equal
        # token counts, which make_controller checks.
        m = p2p.replacement_mapper("a horse in a field", "a zebra in a field", self.tok)
        expected = torch.zeros(77, 77)
        expected[0, 0] = expected[1, 1] = 1
        expected[2, 2] = expected[2, 3] = 0.5
        for j in range(4, 77):
            expected[j, j] = 1
        self.assertTrue(torch.equal(m, expected))
        with self.assertRaisesRegex(ValueError, "same number of words"):
            p2p.replacement_mapper("a horse", "a big horse", self.tok)

    def test_changed_words_and_instruction(self):
        self.assertEqual(p2p.changed_words("a horse in a field", "a zebra in a field"), (["horse"], ["zebra"]))
        self.assertEqual(p2p.instruction("a horse in a field", "a zebra in a field"), "replace the horse with zebra")
        self.assertEqual(p2p.instruction("a cat on a mat", "a big cat on a mat"), "add big")
        self.assertEqual(p2p.instruction("a small red car", "a red car"), "remove the small")
        self.assertEqual(p2p.instruction("a red car", "a red car"), "make it a red car")

    def test_equalizer_weights_the_words_tokens(self):
        eq = p2p.equalizer(["a zebra in a field"], ["zebra field"], [2.0], self.tok)
        expected = torch.ones(1, 77)
        expected[0, [2, 3, 6]] = 2.0
        self.assertTrue(torch.equal(eq, expected))


def softmaxed(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).softmax(-1)


class Controllers(unittest.TestCase):
    """Batch [source, edited], 2 heads, 4 steps, two layers per step (cross then self); CFG stacks
    [uncond source, uncond edited, cond source, cond edited] * heads."""

    HEADS, STEPS, Q = 2, 4, 16

    def setUp(self):
        self.tok = TinyTokenizer()

    def common(self, full_res=64, **kw):
        return dict(batch_size=2, num_layers=2, num_steps=self.STEPS,
                    cross_alpha=p2p.cross_replace_alpha(2, self.STEPS, 0.5), self_replace_steps=0.5,
                    full_res=full_res, **kw)

    def run_steps(self, controller, keys=77):
        """Per step: (input cross, output cross, input self, output self), attention of (4 * heads, Q, keys)."""
        out = []
        for step in range(self.STEPS):
            cross = softmaxed(4 * self.HEADS, self.Q, keys, seed=step)
            self_ = softmaxed(4 * self.HEADS, self.Q, self.Q, seed=100 + step)
            out.append((cross.clone(), controller(cross, True, "down"), self_.clone(), controller(self_, False, "down")))
        return out

    def split(self, attn):
        """(uncond, cond source (heads, ...), cond edited (heads, ...))"""
        h = self.HEADS
        return attn[: 2 * h], attn[2 * h: 3 * h], attn[3 * h:]

    def test_cross_alpha_steps(self):
        alpha = p2p.cross_replace_alpha(2, 50, 0.8)
        self.assertEqual(alpha.shape, (51, 1, 1, 1, 77))
        self.assertEqual(alpha[:, 0, 0, 0, 0].tolist(), [1.0] * 40 + [0.0] * 11)  # int(0.8 * 51) = 40

    def test_attention_replace(self):
        mapper = p2p.replacement_mapper("a horse in a field", "a zebra in a field", self.tok).unsqueeze(0)
        controller = p2p.AttentionReplace(mapper, **self.common())
        for step, (cin, cout, sin, sout) in enumerate(self.run_steps(controller)):
            (u_in, s_in, e_in), (u_out, s_out, e_out) = self.split(cin), self.split(cout)
            self.assertTrue(torch.equal(u_out, u_in))  # the unconditional half is never touched
            self.assertTrue(torch.equal(s_out, s_in))  # nor the source prompt
            if step < 2:  # int(0.5 * 5) = 2 steps of cross-attention replacement
                self.assertTrue(torch.allclose(e_out, torch.einsum("hpw,wn->hpn", s_in, mapper[0])))
                # the edited prompt's "zeb" and "ra" each get half of the source's attention on "horse"
                self.assertTrue(torch.allclose(e_out[..., 2], s_in[..., 2] / 2))
            else:
                self.assertTrue(torch.equal(e_out, e_in))
            # self-attention: the source's maps replace the edited prompt's for int(4 * 0.5) = 2 steps
            self.assertTrue(torch.equal(self.split(sout)[2], self.split(sin)[1] if step < 2 else self.split(sin)[2]))
        self.assertEqual(controller.cur_step, self.STEPS)

    def test_self_attention_at_full_resolution_is_kept(self):
        controller = p2p.AttentionReplace(torch.eye(77).unsqueeze(0), **self.common(full_res=self.Q))
        for _, _, sin, sout in self.run_steps(controller):
            self.assertTrue(torch.equal(sout, sin))

    def test_attention_refine(self):
        mapper, alphas = p2p.refinement_mapper("a cat sitting on a mat", "a big cat sitting on a mat", self.tok)
        controller = p2p.AttentionRefine(mapper.unsqueeze(0), alphas.unsqueeze(0), **self.common())
        cin, cout, _, _ = self.run_steps(controller)[0]
        _, s_in, e_in = self.split(cin)
        e_out = self.split(cout)[2]
        self.assertTrue(torch.equal(e_out[..., 2], e_in[..., 2]))  # "big" keeps its own attention
        self.assertTrue(torch.equal(e_out[..., 3], s_in[..., 2]))  # "cat" takes the source's "cat"
        self.assertTrue(torch.equal(e_out[..., 1], s_in[..., 1]))

    def test_attention_reweight(self):
        mapper, alphas = p2p.refinement_mapper("a cat sitting on a mat", "a big cat sitting on a mat", self.tok)
        inner = p2p.AttentionRefine(mapper.unsqueeze(0), alphas.unsqueeze(0), **self.common())
        eq = p2p.equalizer(["a big cat sitting on a mat"], ["big"], [2.0], self.tok)
        controller = p2p.AttentionReweight(eq, inner, **self.common())
        cin, cout, _, _ = self.run_steps(controller)[0]
        _, s_in, e_in = self.split(cin)
        e_out = self.split(cout)[2]
        self.assertTrue(torch.allclose(e_out[..., 2], 2 * e_in[..., 2]))
        self.assertTrue(torch.equal(e_out[..., 3], s_in[..., 2]))

    def test_make_controller_picks_replace_or_refine(self):
        kw = dict(num_layers=32, latent_size=(64, 64))
        self.assertIsInstance(p2p.make_controller("a horse in a field", "a cow in a field", self.tok, **kw), p2p.AttentionReplace)
        self.assertIsInstance(p2p.make_controller("a horse in a field", "a zebra in a field", self.tok, **kw), p2p.AttentionRefine)
        lance = p2p.make_controller("a horse in a field", "a cow in a field", self.tok, replace=False, **kw)
        self.assertIsInstance(lance, p2p.AttentionRefine)
        self.assertIsNone(lance.local_blend)
        self.assertEqual(lance.self_replace, (0, 40))
        self.assertEqual((lance.full_res, lance.blend_res), (64 * 64, 16 * 16))
        weighted = p2p.make_controller("a horse in a field", "a zebra in a field", self.tok, edit_word_weight=2.0, local_blend=True, **kw)
        self.assertIsInstance(weighted, p2p.AttentionReweight)
        self.assertEqual(weighted.equalizer[0, [1, 2, 3, 4]].tolist(), [1.0, 2.0, 2.0, 1.0])
        self.assertIsNotNone(weighted.local_blend)

    def test_local_blend_keeps_the_source_outside_the_edit(self):
        # Cross maps at 4x4 on a 4x4 latent; the edited word ("zebra": tokens 2, 3 of the edited prompt) and the
        # source's "horse" (token 2) attend only to the top-left 2x2 cell block.
        blend = p2p.LocalBlend(["a horse in a field", "a zebra in a field"], [["horse"], ["zebra"]], self.tok, (4, 4), num_steps=5)
        self.assertEqual(blend.start_step, 1)
        maps = torch.full((2 * self.HEADS, 16, 77), 0.01)
        region = torch.zeros(4, 4, dtype=torch.bool)
        region[:2, :2] = True
        maps[:, region.flatten(), 2] = 1.0
        maps[self.HEADS:, region.flatten(), 3] = 1.0
        store = {"down": [maps], "up": [maps]}
        x = torch.stack([torch.zeros(4, 4, 4), torch.ones(4, 4, 4)])
        self.assertTrue(torch.equal(blend(x, store), x))  # step 1: not yet (counter must pass start_step)
        out = blend(x, store)
        # the 3x3 max-pool grows the region by one cell: rows/cols 0..2 follow the edit, the rest the source
        grown = torch.zeros(4, 4, dtype=torch.bool)
        grown[:3, :3] = True
        self.assertTrue(torch.equal(out[0], x[0]))
        self.assertTrue(torch.equal(out[1][:, grown], torch.ones(4, 9)))
        self.assertTrue(torch.equal(out[1][:, ~grown], torch.zeros(4, 7)))


class DDIM(unittest.TestCase):
    def test_lance_schedule(self):
        s = p2p.DDIMSchedule.lance()
        self.assertEqual(s.timesteps[:2] + s.timesteps[-2:], [981, 961, 21, 1])
        self.assertEqual(len(s.timesteps), 50)
        self.assertAlmostEqual(s.alphas_cumprod[0].item(), 1 - 0.00085, places=7)
        self.assertAlmostEqual(s.alphas_cumprod[999].item(), 0.0046600, places=6)  # SD 1.x's last alpha-bar
        self.assertEqual(s.alpha(-19).item(), s.alphas_cumprod[0].item())  # set_alpha_to_one=False

    def test_inversion_then_sampling_is_exact_for_a_latent_free_noise_model(self):
        s = p2p.DDIMSchedule.lance()
        g = torch.Generator().manual_seed(1)
        x0, per_t = torch.randn(1, 4, 8, 8, generator=g), torch.randn(1000, 4, 8, 8, generator=g)
        noise = lambda x, t, ctx: per_t[t].expand_as(x)  # noqa: E731  (DDIM inverts exactly when eps ignores x)
        cond = torch.zeros(1, 77, 8)
        path = p2p.ddim_invert(x0, cond, noise, s)
        self.assertEqual(len(path), 51)
        back = p2p.sample(path[-1], cond, [cond] * 50, noise, s, guidance_scale=1.0)
        self.assertLess((back - x0).abs().max().item(), 1e-4)

    def test_inversion_then_sampling_reconstructs_with_a_linear_noise_model(self):
        # With eps linear in x, inversion uses eps at x_{t-1} where sampling uses it at x_t: the round trip is
        # first-order accurate, so its error is small and shrinks with the number of steps.
        g = torch.Generator().manual_seed(2)
        x0 = torch.randn(1, 4, 8, 8, generator=g)
        w = 0.05 * torch.randn(4, 4, generator=g)
        noise = lambda x, t, ctx: torch.einsum("ij,bjhw->bihw", w, x) + 0.1 * ctx.mean((1, 2)).view(-1, 1, 1, 1)  # noqa: E731
        cond = torch.ones(1, 77, 8)

        def error(steps):
            s = p2p.DDIMSchedule.lance(num_steps=steps)
            back = p2p.sample(p2p.ddim_invert(x0, cond, noise, s)[-1], cond, [cond] * steps, noise, s, guidance_scale=1.0)
            return (back - x0).abs().mean().item()

        self.assertLess(error(50), 0.02)
        self.assertLess(error(50), error(10) / 3)

    def test_null_text_optimisation_repairs_guided_reconstruction(self):
        # eps depends on the text embedding: guided sampling (7.5) with the plain empty-text embedding drifts
        # away from the photo; the optimised null embeddings bring it back.
        s = p2p.DDIMSchedule.lance(num_steps=10)
        g = torch.Generator().manual_seed(3)
        x0 = torch.randn(1, 4, 8, 8, generator=g)
        w = 0.05 * torch.randn(4, 4, generator=g)
        v = torch.randn(8, 4, generator=g)

        def noise(x, t, ctx):
            return torch.einsum("ij,bjhw->bihw", w, x) + 0.2 * (ctx.mean(1) @ v).view(-1, 4, 1, 1)

        cond, uncond = torch.randn(1, 77, 8, generator=g), torch.zeros(1, 77, 8)
        path = p2p.ddim_invert(x0, cond, noise, s)
        plain = p2p.sample(path[-1], cond, [uncond] * 10, noise, s)
        nulls = p2p.null_text_optimise(path, uncond, cond, noise, s)
        self.assertEqual(len(nulls), 10)
        tuned = p2p.sample(path[-1], cond, nulls, noise, s)
        plain_err, tuned_err = (plain - x0).abs().mean().item(), (tuned - x0).abs().mean().item()
        self.assertGreater(plain_err, 0.5)
        self.assertLess(tuned_err, plain_err / 10)

    def test_sampling_runs_the_controller_and_its_blend(self):
        # A toy "UNet" whose one cross-attention layer goes through the controller: after sampling, the
        # controller has counted every step, and LocalBlend (zero maps everywhere but the edit word) kept
        # the source latent where the edit word's attention is zero.
        tok = TinyTokenizer()
        s = p2p.DDIMSchedule.lance(num_steps=5)
        controller = p2p.make_controller("a horse", "a zebra", tok, num_layers=1, latent_size=(16, 16), num_steps=5, local_blend=True)
        self.assertEqual((controller.blend_res, controller.local_blend.map_size), (16, (4, 4)))

        def noise(x, t, ctx):
            attn = torch.zeros(x.shape[0], 16, 77)  # one head, 4x4 maps
            attn[:, :4, 2] = 1.0  # the maps' first row attends to the changed word
            controller(attn, True, "down")
            return ctx.mean((1, 2)).view(-1, 1, 1, 1).expand_as(x)

        cond = torch.stack([torch.zeros(77, 8), torch.ones(77, 8)])
        out = p2p.sample(torch.zeros(1, 4, 16, 16), cond, [torch.zeros(1, 77, 8)] * 5, noise, s,
                         step_callback=controller.step_callback)
        self.assertEqual(controller.cur_step, 5)
        # map rows 0..1 (pooled) = latent rows 0..7 follow the edit; the rest stays the source's
        self.assertTrue(torch.equal(out[1][:, 8:], out[0][:, 8:]))
        self.assertGreater((out[1][:, :8] - out[0][:, :8]).abs().min().item(), 0.1)


class ServerWiring(unittest.TestCase):
    """tools/diffusers_server.py's p2p_edit and ControlledAttention on a stand-in pipeline that has the
    attributes they use of diffusers' StableDiffusionPipeline, UNet2DConditionModel and Attention (diffusers is
    not installed here): checks the wiring (processors registered in every layer and removed after, the
    controller seeing [uncond, cond] x [source, edited] x heads, the answer's size), not diffusers itself."""

    def test_p2p_edit_runs_through_the_attention_processors(self):
        import types

        import numpy as np
        from PIL import Image

        import diffusers_server as server

        torch.manual_seed(0)
        dim, heads, tok = 8, 2, TinyTokenizer()
        seen = []

        class Attention(torch.nn.Module):
            def __init__(self, cross):
                super().__init__()
                self.heads, self.processor = heads, None
                self.to_q = torch.nn.Linear(4, 4)
                self.to_k, self.to_v = torch.nn.Linear(dim if cross else 4, 4), torch.nn.Linear(dim if cross else 4, 4)
                self.to_out = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Dropout(0.0)])
                self.group_norm, self.spatial_norm, self.norm_cross = None, None, False
                self.residual_connection, self.rescale_output_factor = False, 1.0

            def prepare_attention_mask(self, mask, length, batch):
                return mask

            def head_to_batch_dim(self, x):
                b, n, d = x.shape
                return x.reshape(b, n, heads, d // heads).permute(0, 2, 1, 3).reshape(b * heads, n, d // heads)

            def batch_to_head_dim(self, x):
                bh, n, d = x.shape
                return x.reshape(bh // heads, heads, n, d).permute(0, 2, 1, 3).reshape(bh // heads, n, d * heads)

            def get_attention_scores(self, q, k, mask=None):
                scores = (q @ k.transpose(1, 2) / 2).softmax(-1)
                seen.append(scores.shape)
                return scores

        class UNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = {f"{b}.attentions.0.attn{i}": Attention(i == 2) for b in ("down_blocks.0", "mid_block", "up_blocks.1") for i in (1, 2)}
                self.modules_ = torch.nn.ModuleList(self.layers.values())

            @property
            def attn_processors(self):
                return {f"{k}.processor": m.processor for k, m in self.layers.items()}

            def set_attn_processor(self, processors):
                for k, m in self.layers.items():
                    m.processor = processors[f"{k}.processor"]

            def forward(self, x, t, encoder_hidden_states):
                b, c, h, w = x.shape
                hs = x.flatten(2).transpose(1, 2)
                for k, m in self.layers.items():
                    hs = hs + 0.1 * m.processor(m, hs, encoder_hidden_states if k.endswith("attn2") else None)
                return types.SimpleNamespace(sample=0.1 * hs.transpose(1, 2).reshape(b, c, h, w))

        class Tokenizer(TinyTokenizer):
            model_max_length = 77

            def __call__(self, texts, padding, max_length, truncation, return_tensors):
                ids = [(self.encode(t) + [EOS] * 77)[:77] for t in texts]
                return types.SimpleNamespace(input_ids=torch.tensor(ids))

        schedule = p2p.DDIMSchedule.lance()

        class Scheduler:
            config = types.SimpleNamespace(num_train_timesteps=1000)
            alphas_cumprod, final_alpha_cumprod = schedule.alphas_cumprod, schedule.final_alpha_cumprod

            def set_timesteps(self, n):
                self.timesteps = torch.tensor(p2p.DDIMSchedule.lance(n).timesteps)

        embedding = torch.nn.Embedding(64, dim)
        vae = types.SimpleNamespace(
            encode=lambda x: types.SimpleNamespace(latent_dist=types.SimpleNamespace(mean=F.avg_pool2d(x, 8).repeat(1, 2, 1, 1)[:, :4])),
            decode=lambda z: types.SimpleNamespace(sample=F.interpolate(z[:, :3], scale_factor=8)))
        pipe = types.SimpleNamespace(device=torch.device("cpu"), tokenizer=Tokenizer(), unet=UNet().requires_grad_(False),
                                     vae=vae, scheduler=Scheduler(), text_encoder=lambda ids: (embedding(ids).detach(),))
        photo = Image.fromarray((np.random.RandomState(0).rand(48, 64, 3) * 255).astype(np.uint8))
        job = {"image": photo, "source_caption": "a horse in a field", "edited_caption": "a zebra in a field", "steps": 5,
               "guidance_scale": 7.5, "cross_replace_steps": 0.8, "self_replace_steps": 0.8, "edit_word_weight": 2.0,
               "local_blend": False, "null_text_steps": 2, "controller": "refine"}
        out = server.p2p_edit(pipe, job)
        self.assertEqual((out.size, out.mode), ((64, 48), "RGB"))
        # inversion (batch 1), null-text (batch 1 and 2), then p2p sampling: 2 x [source, edited] x 2 heads
        self.assertEqual(seen[-1][0], 2 * 2 * heads)
        self.assertEqual(sum(1 for s in seen if s[0] == 2 * 2 * heads), 6 * 5)  # 6 layers x 5 steps
        procs = pipe.unet.attn_processors.values()
        self.assertTrue(all(isinstance(p, server.ControlledAttention) and p.controller is None for p in procs))
        self.assertEqual(np.array(server.p2p_edit(pipe, job)).tolist(), np.array(out).tolist())  # deterministic


if __name__ == "__main__":
    unittest.main()
