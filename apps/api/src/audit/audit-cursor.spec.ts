import { describe, expect, it } from 'vitest';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor.js';

describe(decodeAuditCursor.name, () => {
  it('reads back what encodeAuditCursor made', () => {
    for (const id of [1n, 42n, 9_223_372_036_854_775_807n]) expect(decodeAuditCursor(encodeAuditCursor(id))).toBe(id);
  });

  it.each(['', '123', 'a1.', 'a1.!!', 'a2.MTI', 'a1.MDEy', 'a1.LTE', 'a1.OTIyMzM3MjAzNjg1NDc3NTgwOA', `a1.${'A'.repeat(60)}`, 'a1.MTI='])(
    'refuses the garbage cursor %j',
    (cursor) => {
      expect(decodeAuditCursor(cursor)).toBeNull();
    },
  );
});
