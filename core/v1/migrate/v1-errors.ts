// Failures of reading NEDB v1 data. They name the file and, for log lines, the byte offset and line number,
// so the operator can look at the exact place.
import { NedbError } from '../../errors.js';

export interface V1Location {
  file: string;
  /** Byte offset of the start of the line. */
  offset: number;
  /** 1-based line number. */
  line: number;
}

/** Anything that stops a migration (damaged or unreadable v1 data, a wrong key, an existing target). */
export class V1MigrationError extends NedbError {
  constructor(
    message: string,
    readonly location?: V1Location,
  ) {
    super('V1_MIGRATION_FAILED', {
      reason: location === undefined ? message : `${location.file}: byte offset ${location.offset} (line ${location.line}): ${message}`,
      ...(location === undefined ? {} : { file: location.file, offset: location.offset, line: location.line }),
    });
  }
}
