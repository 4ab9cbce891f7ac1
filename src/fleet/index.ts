/** The fleet: many devices' CMP transactions as durable jobs, worked by any number of workers. */
export * from './queue';
export { createJobHandler, type FleetJobOutputs, type JobHandlerOptions, type NewCertificateEvent, type PreparedJob } from './run-job';
export { DirectoryQueue, openDirectoryQueue, type DirectoryQueueOptions } from './directory-queue';
export { parseJobs, parseJobLine, isValidJobId, type JobsLineError, type ParsedJobs, type ParseJobsOptions } from './jobs-file';
export {
  assertSecretsAreReferences,
  environmentResolver,
  isCredentialReference,
  isSecretOption,
  SECRET_OPTIONS,
  type CredentialResolver,
} from './credentials';
export { openFleetQueue, isRedisQueue, type OpenFleetQueueOptions } from './open-queue';
export { renewExpiring, renewalSpec, newKeyBeside, runDeployHook, type RenewOptions, type HookEnvironment } from './renew';
