/** The k most probable classes of one row of scores (logits) under a softmax, most probable first (ties to the smaller class). */
export function softmaxTop(scores: ArrayLike<number>, k: number): { classIndex: number; probability: number }[] {
  let max = -Infinity;
  for (let c = 0; c < scores.length; c++) if (scores[c] > max) max = scores[c];
  if (!Number.isFinite(max)) return [];
  let total = 0;
  for (let c = 0; c < scores.length; c++) if (!Number.isNaN(scores[c])) total += Math.exp(scores[c] - max);
  const order = Array.from({ length: scores.length }, (_, c) => c)
    .filter((c) => !Number.isNaN(scores[c]))
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, Math.max(0, k));
  return order.map((c) => ({ classIndex: c, probability: Math.exp(scores[c] - max) / total }));
}
