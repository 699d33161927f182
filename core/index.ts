// The engine's public surface. Layers above core import from here only.
export { DataDirectory, checkDbName } from './data-directory.js';
export type { DataDirectoryOptions, CreateDatabaseOptions } from './data-directory.js';
export { Database, encodeDocument, decodeDocument } from './database.js';
export type {
  BatchOp,
  BatchResult,
  DatabaseOpenOptions,
  Durability,
  JsonDocument,
  LoadState,
  OpMeta,
  PreconditionFailure,
  PutOptions,
  ReadOptions,
  StoredDocument,
  WriteOptions,
} from './database.js';
export type { CheckpointOutcome, WriteStatus } from './partition/partition-set.js';
export { NedbError, errorCodes, isNedbError } from './errors.js';
export type { ErrorCode, ErrorKind } from './errors.js';
export { Namespace } from './keys.js';
export * as limits from './limits.js';
export { nodeFileSystem } from './platform/node-file-system.js';
export type { FileSystem } from './platform/file-system.js';
export type { Logger } from './platform/logger.js';
export { verifyDataDirectory, repairDataDirectory } from './verify.js';
export type { VerifyReport, VerifyProblem, RepairReport } from './verify.js';
