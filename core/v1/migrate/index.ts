// NEDB v1 data → nedb: the reader of v1's files and the migration engine (`nedb migrate-v1`).
export { migrateV1Database, migrateBatchV1OpsMax, snapshotFillClient } from './migrate-v1.js';
export type { MigrateV1Options, MigrateV1Report, MigrateV1Progress, CollectionCount } from './migrate-v1.js';
export { listV1Databases, v1DatabaseFiles, readAof } from './v1-reader.js';
export type { V1DatabaseFiles, V1IndexConfig, AofEntry, AofSummary } from './v1-reader.js';
export { masterKeyFromEnv, keyEncryptionKey, unwrapDataKey, v1DataAad, v1DekAad, v1HkdfInfo, v1HkdfSalt } from './v1-crypto.js';
export type { MasterKey } from './v1-crypto.js';
export { V1MigrationError } from './v1-errors.js';
export type { V1Location } from './v1-errors.js';
export { canonicalOpBody, pythonJsonString, v1OpHash, v1GenesisHash } from './v1-format.js';
export type { V1Record } from './v1-format.js';
