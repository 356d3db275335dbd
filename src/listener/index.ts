export { createListener, DEFAULT_PORT, DEFAULT_FORWARD_TIMEOUT_MS, MAX_BODY_BYTES } from './server.js';
export type { Listener, ListenerOptions, ListenerEvent, ListenerLogger, ForwardResult, Verdict } from './types.js';
export { parseTarget, matchesPattern, routeFor, type Target } from './targets.js';
export {
  parseExpectation,
  createExpectations,
  type Expectation,
  type ExpectationStatus,
  type Expectations,
} from './expectations.js';
export type { RecordedDelivery } from './recorder.js';
export { readRecording, streamRecording, type ReadRecordingOptions } from './recording.js';
export { replayDeliveries, type ReplayOptions, type ReplayResult } from './replay.js';
export { summarize } from './summary.js';
export { renderEvent, PLAIN, type Painter } from './pretty.js';
