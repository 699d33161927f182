// The migration engine's surface for the tests (core/index.ts does not re-export it yet).
export * from '../../core/v1/migrate/index.js';
export { nodeFileSystem as nodeFileSystemForTests } from '../../core/index.js';
