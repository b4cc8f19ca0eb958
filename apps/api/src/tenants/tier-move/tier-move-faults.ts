/**
 * Test-only seam for fault injection in tier moves, like ProvisioningFaults:
 * the runner calls `check(point)` before each step and after its Cognito part
 * (nothing recorded yet). The production implementation does nothing; tests
 * replace the method on the instance they get from the application. No
 * setting or endpoint can turn faults on.
 */
import { Injectable } from '@nestjs/common';
import type { MoveStep } from './tier-move-state.js';

export interface MoveFaultPoint {
  readonly tenantId: string;
  readonly slug: string;
  readonly step: MoveStep;
  readonly when: 'before' | 'after-effect';
  readonly attempt: number;
}

@Injectable()
export class TierMoveFaults {
  async check(_point: MoveFaultPoint): Promise<void> {
    // No faults in production.
  }
}
