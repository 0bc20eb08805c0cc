import { DenseLayer } from './onnx-graph';

/** Deterministic PRNG (mulberry32), so that every build writes the same bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from a uniform source. */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface Dataset {
  features: number[][];
  labels: number[];
}

export function standardisation(rows: number[][]): { mean: number[]; std: number[] } {
  const width = rows[0].length;
  const mean = Array.from({ length: width }, (_, j) => rows.reduce((sum, row) => sum + row[j], 0) / rows.length);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((sum, row) => sum + (row[j] - m) ** 2, 0) / rows.length) || 1);
  return { mean, std };
}

/** He-initialised dense layers for the given sizes, e.g. [4, 16, 3]. */
export function initLayers(sizes: number[], random: () => number): DenseLayer[] {
  const normal = gaussian(random);
  return sizes.slice(1).map((outputs, index) => {
    const inputs = sizes[index];
    const scale = Math.sqrt(2 / inputs);
    return {
      inputs,
      outputs,
      weights: Float64Array.from({ length: inputs * outputs }, () => normal() * scale),
      bias: new Float64Array(outputs),
    };
  });
}

function forward(layers: DenseLayer[], x: Float64Array): Float64Array[] {
  const activations = [x];
  layers.forEach((layer, index) => {
    const input = activations[index];
    const out = Float64Array.from(layer.bias);
    for (let i = 0; i < layer.inputs; i++) {
      const value = input[i];
      if (value === 0) continue;
      for (let o = 0; o < layer.outputs; o++) out[o] += value * layer.weights[i * layer.outputs + o];
    }
    if (index < layers.length - 1) for (let o = 0; o < out.length; o++) out[o] = Math.max(0, out[o]);
    activations.push(out);
  });
  return activations;
}

export function softmax(logits: Float64Array): Float64Array {
  const max = Math.max(...logits);
  const exps = logits.map((value) => Math.exp(value - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum);
}

export function predictClass(layers: DenseLayer[], x: Float64Array): number {
  const logits = forward(layers, x).at(-1)!;
  return logits.indexOf(Math.max(...logits));
}

/**
 * Trains dense layers with softmax cross-entropy by full-batch Adam on standardised inputs.
 * With no hidden layer this is multinomial logistic regression.
 */
export function train(
  layers: DenseLayer[],
  inputs: Float64Array[],
  labels: number[],
  epochs: number,
  rate: number,
  l2 = 1e-4,
): void {
  const params = layers.flatMap((layer) => [layer.weights, layer.bias]);
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const grads = params.map((p) => new Float64Array(p.length));
    inputs.forEach((x, sample) => {
      const activations = forward(layers, x);
      let delta = softmax(activations.at(-1)!);
      delta[labels[sample]] -= 1;
      for (let index = layers.length - 1; index >= 0; index--) {
        const layer = layers[index];
        const input = activations[index];
        const [gw, gb] = [grads[index * 2], grads[index * 2 + 1]];
        const previous = new Float64Array(layer.inputs);
        for (let i = 0; i < layer.inputs; i++) {
          for (let o = 0; o < layer.outputs; o++) {
            gw[i * layer.outputs + o] += input[i] * delta[o];
            previous[i] += layer.weights[i * layer.outputs + o] * delta[o];
          }
        }
        for (let o = 0; o < layer.outputs; o++) gb[o] += delta[o];
        if (index > 0) for (let i = 0; i < previous.length; i++) if (input[i] <= 0) previous[i] = 0;
        delta = previous;
      }
    });
    params.forEach((param, p) => {
      for (let k = 0; k < param.length; k++) {
        const grad = grads[p][k] / inputs.length + (p % 2 === 0 ? l2 * param[k] : 0);
        m[p][k] = beta1 * m[p][k] + (1 - beta1) * grad;
        v[p][k] = beta2 * v[p][k] + (1 - beta2) * grad * grad;
        const mHat = m[p][k] / (1 - beta1 ** epoch);
        const vHat = v[p][k] / (1 - beta2 ** epoch);
        param[k] -= (rate * mHat) / (Math.sqrt(vHat) + epsilon);
      }
    });
  }
}

export function standardise(rows: number[][], mean: number[], std: number[]): Float64Array[] {
  return rows.map((row) => Float64Array.from(row, (value, j) => (value - mean[j]) / std[j]));
}

/** Deterministic shuffled split into train and test rows. */
export function split<T>(items: T[], testFraction: number, random: () => number): { train: T[]; test: T[] } {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const testSize = Math.round(items.length * testFraction);
  return { test: shuffled.slice(0, testSize), train: shuffled.slice(testSize) };
}
