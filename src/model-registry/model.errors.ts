import { registerErrorStatuses } from '../common/errors/domain.error';

/** Error codes of the model registry and inference (`code` in problem details). */
export enum ModelErrorCode {
  ModelNotFound = 'model_not_found',
  VersionNotFound = 'version_not_found',
  ModelNotReady = 'model_not_ready',
  QueueFull = 'queue_full',
  InferenceTimeout = 'inference_timeout',
  InvalidInput = 'invalid_input',
  InvalidInputShape = 'invalid_input_shape',
  InvalidDatatype = 'invalid_datatype',
  UnknownInput = 'unknown_input',
  MissingInput = 'missing_input',
  UnknownOutput = 'unknown_output',
  TensorTooLarge = 'tensor_too_large',
  InvalidModelName = 'invalid_model_name',
  InvalidModel = 'invalid_model',
  VersionExists = 'version_exists',
  VersionSunset = 'model_version_sunset',
  ShadowNotFound = 'shadow_not_found',
  VersionInUse = 'version_in_use',
}

registerErrorStatuses({
  [ModelErrorCode.ModelNotFound]: 404,
  [ModelErrorCode.VersionNotFound]: 404,
  [ModelErrorCode.ModelNotReady]: 503,
  [ModelErrorCode.QueueFull]: 503,
  [ModelErrorCode.InferenceTimeout]: 504,
  [ModelErrorCode.InvalidInput]: 400,
  [ModelErrorCode.InvalidInputShape]: 400,
  [ModelErrorCode.InvalidDatatype]: 400,
  [ModelErrorCode.UnknownInput]: 400,
  [ModelErrorCode.MissingInput]: 400,
  [ModelErrorCode.UnknownOutput]: 400,
  [ModelErrorCode.TensorTooLarge]: 400,
  [ModelErrorCode.InvalidModelName]: 400,
  [ModelErrorCode.InvalidModel]: 400,
  [ModelErrorCode.VersionExists]: 409,
  [ModelErrorCode.VersionSunset]: 410,
  [ModelErrorCode.ShadowNotFound]: 404,
  [ModelErrorCode.VersionInUse]: 409,
} satisfies Record<ModelErrorCode, number>);
