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
  OrderedScanRequest as DatabaseOrderedScanRequest,
  PreconditionFailure,
  PutOptions,
  ReadOptions,
  StoredDocument,
  WriteOptions,
} from './database.js';
export type { IndexCatalogEntry, IndexInfo, IndexRangeRequest, IndexState, SortedIndexInfo, ValueBound } from './index/index-manager.js';
export type { IndexSpec, IndexKind } from './index/index-definitions.js';
export { documentTokens, searchTokens } from './index/search-index.js';
export type { CheckpointOutcome, WriteStatus } from './partition/partition-set.js';
export { NedbError, errorCodes, isNedbError } from './errors.js';
export type { ErrorCode, ErrorKind } from './errors.js';
export { Namespace } from './keys.js';
export * as limits from './limits.js';
export { nodeFileSystem } from './platform/node-file-system.js';
export type { FileSystem } from './platform/file-system.js';
export type { Logger } from './platform/logger.js';
export { verifyDataDirectory, repairDataDirectory } from './verify.js';
export { BackupError, restoreBackup, backupMarkerName } from './backup.js';
export type { BackupFile, BackupMarker, BackupProgress, BackupResult, RestoreOptions, RestoreResult } from './backup.js';
export type { VerifyReport, VerifyProblem, RepairReport } from './verify.js';
export { V1Database, V1PreconditionFailed, indexKinds } from './v1/v1-database.js';
export type { V1BatchOp, V1BatchResult, V1PutRequest, V1Summary, IndexDefinition } from './v1/v1-database.js';
export type { V1OpRecord } from './v1/v1-log.js';
export { pythonRepr, pythonStr } from './v1/python-text.js';
export type { Clock } from './platform/clock.js';
export { systemClock } from './platform/clock.js';
export type { CommittedWrite } from './partition/partition-set.js';
export type { LoggedOp } from './log/record.js';
export { OpKind as OpKindValues } from './log/record.js';
export { edgeColl, parseEdgeColl } from './v1/system-collections.js';
export { assert, assertNever, AssertionError } from './assert.js';
