export {
  MAX_SESSION_BYTES,
  PERSISTABLE_STATES,
  parsePersistedSession,
  persistSession,
  restoreSnapshot,
  resumeOptions,
  sessionTransactionId,
} from './snapshot';
export type { PersistableMachineName, PersistedSession, SessionMachineName, SessionMeta } from './snapshot';
export type { SessionStore } from './store';
export { MemorySessionStore } from './memory-store';
export { FileSessionStore } from './file-store';
export { autosaveSession } from './autosave';
export type { Autosave, AutosaveOptions } from './autosave';
export { INSPECTOR_WARNING, REDACTED, sanitizeForInspection, sanitizeInspectionEvent, sanitizingInspector, summarizeBytes } from './inspect';
export type { InspectedActorRef, InspectionObserver, InspectorFailureHandler } from './inspect';
export { createFlowRecorder } from './flow-recorder';
export type { FlowMachineRun, FlowMessage, FlowRecorder, FlowRecording, FlowStep } from './flow-recorder';
export type { FlowState, FlowTransition } from './flow-graph';
