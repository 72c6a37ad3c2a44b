/** A model file or its metadata that cannot serve: start-up stops with this message. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError'
}
