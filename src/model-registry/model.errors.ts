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
}
