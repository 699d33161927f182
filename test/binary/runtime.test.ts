// Which runtime runs the test files. .ci/run's Bun step sets NEDB_EXPECT_BUN=1 and includes this file, so that
// step fails if vitest quietly fell back to running the engine's tests under Node.
import { expect, it } from 'vitest';

it('runs under the runtime the CI step asked for', () => {
  const bun = process.versions['bun'];
  console.log(`test runtime: ${bun === undefined ? `node ${process.version}` : `bun ${bun}`} (${process.execPath})`);
  if (process.env['NEDB_EXPECT_BUN'] === '1') expect(bun, 'expected the tests to run under Bun').toBeDefined();
  else expect(process.versions.node).toBeDefined();
});
