/**
 * Test-only seam for fault injection, documented here and in the README.
 *
 * The provisioning runner calls `check(point)` at two points of every step:
 * `before` (nothing done yet) and `after-effect` (Cognito has done its part,
 * nothing is recorded yet — the worst moment for a crash). The production
 * implementation does nothing. End-to-end tests replace the method on the
 * instance they get from the application (`app.get(ProvisioningFaults)`) to
 * throw at a chosen step, then resume and check that nothing was duplicated.
 *
 * There is deliberately no environment variable or endpoint that turns faults
 * on: nothing a deployment can configure reaches this code.
 */
import { Injectable } from '@nestjs/common';
import type { AnyStep } from './provisioning-state.js';

export interface FaultPoint {
  readonly tenantId: string;
  readonly slug: string;
  readonly step: AnyStep;
  readonly when: 'before' | 'after-effect';
  readonly attempt: number;
}

@Injectable()
export class ProvisioningFaults {
  async check(_point: FaultPoint): Promise<void> {
    // No faults in production.
  }
}

/** The error a test's injected fault throws (any error works; this one is recognisable in assertions). */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}
