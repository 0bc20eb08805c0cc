/** `POST /v1/models/{name}/predict` body: exactly one of `inputs` or `instances`. */
export class PredictRequestDto {
  /** One entry per model input: a nested array, row-major, whose shape matches the signature. */
  inputs?: Record<string, unknown>;
  /** Rows of a single-input model, one per batch item. */
  instances?: unknown[];
}

export class PredictionDto {
  label: string;
  score: number;
}

export class PredictResponseDto {
  model: string;
  version: string;
  /** One entry per output: a nested array of the output's shape. */
  outputs: Record<string, unknown>;
  /** Per batch row, the top class, when the model's config names class labels for an output. */
  predictions?: PredictionDto[];
}
