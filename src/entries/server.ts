/**
 * cmpflow/server: the embedded CMP CA, for tests, demos and trying a client out. A client
 * application never loads it: it lives behind its own entry point.
 */
import 'reflect-metadata';

export { createCmpServer, createCmpCluster, listen, createThrowawayCa } from '../server';
export type {
  CmpServer,
  CmpCluster,
  CmpClusterOptions,
  CmpServerConfig,
  SharedSecret,
  IssuancePolicyConfig,
  RootCaKeyUpdateConfig,
  CaCredentials,
  Listener,
  ListenOptions,
  ThrowawayCa,
  ThrowawayCaOptions,
  ThrowawayFiles,
} from '../server';
