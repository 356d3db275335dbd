export {
  sign,
  signStandard,
  verify,
  createVerifier,
  standardSignatures,
  generateTestHeaders,
  deliveryHeaders,
  generateSecret,
  SecretError,
  HEADER,
  SECRET_PREFIX,
  DEFAULT_TOLERANCE_SECONDS,
  type RawPayload,
  type HeaderSource,
  type VerifyOptions,
  type VerifyResult,
  type VerifyRequest,
  type Verifier,
  type VerifierOptions,
  type VerifyReason,
  type StandardSignOptions,
  type TestHeadersOptions,
  type DeliveryHeaderOptions,
} from './core/signature.js';
export * from './core/events.js';
export * from './core/errors.js';
export { VERSION, USER_AGENT } from './core/version.js';
export type * from './core/api-types.js';
export {
  createApiClient,
  type ApiClient,
  type ApiClientOptions,
  type HttpMethod,
  type RequestOptions,
} from './core/api-client.js';
export {
  createListener,
  replayDeliveries,
  readRecording,
  streamRecording,
  type Listener,
  type ListenerOptions,
  type ListenerEvent,
  type ListenerLogger,
  type ForwardResult,
  type RecordedDelivery,
  type ReadRecordingOptions,
  type ReplayOptions,
  type ReplayResult,
} from './listener/index.js';
export {
  createDispatcher,
  type Dispatcher,
  type DispatcherOptions,
  type DispatcherLogger,
  type AttemptInfo,
  type ChaosOptions,
} from './dispatcher/index.js';
export {
  checkReceiver,
  type CheckReceiverOptions,
  type CheckReport,
  type CheckResult,
  type CheckStatus,
  type CheckPlan,
} from './checker/index.js';
