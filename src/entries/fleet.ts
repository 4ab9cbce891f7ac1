/**
 * cmpflow/fleet: many devices' CMP transactions as durable jobs (docs/fleet.md). The Redis
 * backend (BullMQ) loads only when a redis:// queue is opened, so BullMQ and ioredis stay optional.
 */
import 'reflect-metadata';

export {
  FLEET_COMMANDS,
  openFleetQueue,
  openDirectoryQueue,
  createJobHandler,
  parseJobs,
  environmentResolver,
  assertSecretsAreReferences,
  renewExpiring,
  runDeployHook,
} from '../fleet';
export type {
  FleetQueue,
  FleetCommand,
  FleetJobSpec,
  FleetOptionValue,
  FleetJobState,
  FleetJobRecord,
  FleetJobResult,
  FleetJobError,
  FleetCheckpoint,
  FleetExchange,
  LeasedJob,
  FleetOutcome,
  FleetJobHandler,
  FleetCounts,
  FleetWorkOptions,
  FleetSubmitReport,
  OpenFleetQueueOptions,
  DirectoryQueueOptions,
  JobHandlerOptions,
  PreparedJob,
  FleetJobOutputs,
  NewCertificateEvent,
  CredentialResolver,
  ParsedJobs,
  ParseJobsOptions,
  JobsLineError,
  RenewOptions,
  HookEnvironment,
} from '../fleet';
