import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isoTimestamp, withIsoTimestamps } from './sql-timestamps.js';

const pgDefault = pg.types.getTypeParser(1184, 'text') as (text: string) => Date;

describe('isoTimestamp', () => {
  it.each([
    '2026-12-02 06:02:33+00',
    '2026-12-02 06:02:33.1+00',
    '2026-12-02 06:02:33.12+00',
    '2026-12-02 06:02:33.123+00',
    '2026-12-02 06:02:33.1239+00',
    '2026-12-02 06:02:33.999999+00',
    '1999-12-31 23:59:59.5+00',
    '2026-01-01 05:30:00.5+05:30',
    '2026-12-02 02:33:29.652-03:30',
    '2026-06-01 12:00:00+02',
    '0044-03-15 12:00:00+00 BC',
  ])('gives %s exactly as Date#toISOString of pg’s own parse', (text) => {
    expect(isoTimestamp(text)).toBe(pgDefault(text).toISOString());
  });

  it('keeps what is not a finite time as Postgres wrote it', () => {
    expect(isoTimestamp('infinity')).toBe('infinity');
    expect(isoTimestamp('-infinity')).toBe('-infinity');
  });

  it('serialises like the Date it replaces', () => {
    const text = '2026-12-02 06:02:33.123+00';
    expect(JSON.stringify({ at: isoTimestamp(text) })).toBe(JSON.stringify({ at: pgDefault(text) }));
  });
});

describe('withIsoTimestamps', () => {
  it('turns Date values into the same ISO text and leaves the rest', () => {
    const at = new Date('2026-12-02T06:02:33.123Z');
    expect(withIsoTimestamps({ id: 'a', createdAt: at, n: 1, none: null })).toEqual({ id: 'a', createdAt: '2026-12-02T06:02:33.123Z', n: 1, none: null });
  });
});
