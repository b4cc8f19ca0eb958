import { describe, expect, it } from 'vitest';
import { QUOTA_WARNING_PERCENT, quotaUse } from './cognito-capacity.js';

describe(quotaUse.name, () => {
  it(`warns from ${QUOTA_WARNING_PERCENT} % of a quota (issue 14 row 7)`, () => {
    expect(quotaUse(799, 1000)).toEqual({ used: 799, quota: 1000, percentUsed: 79.9, warning: false });
    expect(quotaUse(800, 1000)).toEqual({ used: 800, quota: 1000, percentUsed: 80, warning: true });
    expect(quotaUse(1000, 1000).warning).toBe(true);
  });
});
