/**
 * run_1.py's DE-FAKE scoring (SemiTruths/stress_testing/run_1.py):
 *
 *     pred = output.argmax(1)[0]
 *     prob = torch.sigmoid(output.squeeze()[pred])
 *     if pred == 0: prob = 1 - prob
 *
 * i.e. the sigmoid of the winning logit, turned into P(fake) by inverting it when the winner is the real class,
 * instead of a softmax over both. torch.argmax takes the first of equal maxima. For the 2-class head "pred == 0"
 * is "pred is not the fake class"; that is the general rule here. float32 sigmoid as torch computes it.
 */
export function argmaxSigmoid(logits: ArrayLike<number>, fakeIndex: number): number {
  if (fakeIndex >= logits.length) throw new Error(`output.fakeIndex ${fakeIndex} is out of range for ${logits.length} classes`);
  if (Array.prototype.some.call(logits, (v: number) => Number.isNaN(v))) return NaN; // torch.argmax picks a NaN
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  const p = Math.fround(1 / (1 + Math.exp(-logits[best])));
  return best === fakeIndex ? p : Math.fround(1 - p);
}
