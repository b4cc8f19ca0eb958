import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, so that CI
 * (which reads a runner's last lines) sees the counts whatever the reporter.
 *
 * It also guarantees that a red run exits non-zero: a dependency's exit hook
 * once turned Vitest's exit code 1 into 0 (see `loadEmbeddedPostgres`), and
 * CI goes by the exit code. An `exit` listener runs after any such hook.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: TestRunEndReason): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const testModule of testModules) {
      for (const testCase of testModule.children.allTests()) {
        const state = testCase.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (failed > 0 || unhandledErrors.length > 0 || reason !== 'passed') {
      process.on('exit', () => {
        if (!process.exitCode) process.exitCode = 1;
      });
    }
  }
}
