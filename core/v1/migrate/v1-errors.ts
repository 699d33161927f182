// Failures of reading NEDB v1 data. They name the file and, for log lines, the byte offset and line number,
// so the operator can look at the exact place. (Not NedbErrors: they never reach a protocol layer.)

export interface V1Location {
  file: string;
  /** Byte offset of the start of the line. */
  offset: number;
  /** 1-based line number. */
  line: number;
}

export class V1MigrationError extends Error {
  constructor(
    message: string,
    readonly location?: V1Location,
  ) {
    super(location === undefined ? message : `${location.file}: byte offset ${location.offset} (line ${location.line}): ${message}`);
    this.name = 'V1MigrationError';
  }
}
