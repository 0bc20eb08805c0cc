import { Tensor } from 'onnxruntime-node';

export interface Comparison {
  /** Rows of a labelled (classifier) output compared by their top class, and how many agreed. */
  comparedRows: number;
  agreedRows: number;
  /** Sum and count of |primary - shadow| over the elements of the floating-point outputs both have. */
  differenceSum: number;
  differenceCount: number;
}

const FLOATS = new Set(['float32', 'float64']);

/**
 * Compares a shadow run's outputs with the primary's: the top class per row of each labelled output
 * (config.json `labels`), and the absolute difference of every floating-point element. Outputs whose
 * shapes differ are an error (the shadow does not answer the same question).
 */
export function compareOutputs(
  primary: Record<string, Tensor>,
  shadow: Record<string, Tensor>,
  labels: Record<string, string[]>,
): Comparison {
  const comparison: Comparison = { comparedRows: 0, agreedRows: 0, differenceSum: 0, differenceCount: 0 };
  for (const [name, expected] of Object.entries(primary)) {
    const actual = shadow[name];
    if (!actual) throw new Error(`the shadow version has no output ${name}`);
    if (expected.dims.length !== actual.dims.length || expected.dims.some((size, i) => size !== actual.dims[i])) {
      throw new Error(`output ${name}: shapes differ`);
    }
    if (!FLOATS.has(expected.type) || !FLOATS.has(actual.type)) continue;
    const a = expected.data as Float32Array;
    const b = actual.data as Float32Array;
    for (let i = 0; i < a.length; i++) comparison.differenceSum += Math.abs(a[i] - b[i]);
    comparison.differenceCount += a.length;
    const classes = labels[name]?.length;
    if (classes && expected.dims.length === 2 && Number(expected.dims[1]) === classes) {
      const rows = Number(expected.dims[0]);
      for (let row = 0; row < rows; row++) {
        comparison.comparedRows++;
        if (argmax(a, row * classes, classes) === argmax(b, row * classes, classes)) comparison.agreedRows++;
      }
    }
  }
  return comparison;
}

function argmax(values: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let i = 1; i < width; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}
