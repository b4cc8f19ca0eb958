import { describe, expect, it } from 'vitest';
import { type ReadBatch, auditExportStream, csvCell } from './audit-export.js';

function row(id: number, overrides: Record<string, unknown> = {}) {
  return {
    id: BigInt(id),
    tenantId: null,
    actorId: 'op-1',
    actorType: 'operator',
    action: 'tenant.update',
    target: `tenant:${id}`,
    outcome: 'success',
    requestId: 'req-1',
    clientIp: '203.0.113.9',
    details: { name: 'x' },
    createdAt: new Date('2026-12-01T00:00:00Z'),
    ...overrides,
  };
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

describe(csvCell.name, () => {
  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['a,b', '"a,b"'],
    ['line\nbreak', '"line\nbreak"'],
    ['plain', 'plain'],
    [null, ''],
  ])('writes %j as %j', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });
});

describe(auditExportStream.name, () => {
  const rows = [row(5), row(4), row(3), row(2), row(1)];
  const read: ReadBatch = async (_filters, before, take) => rows.filter((candidate) => before === null || candidate.id < before).slice(0, take);

  it('streams every row across batches as NDJSON, newest first', async () => {
    const sut = await auditExportStream(read, {}, 'ndjson', 2);
    const lines = (await text(sut)).trim().split('\n').map((line) => JSON.parse(line) as { id: string; clientIp: string });
    expect(lines.map((line) => line.id)).toEqual(['5', '4', '3', '2', '1']);
    expect(lines[0]!.clientIp).toBe('203.0.113.9');
  });

  it('writes CSV with a header and defused formula cells', async () => {
    const hostile = async () => [row(1, { target: '=cmd|" /C calc"!A0' })];
    const sut = await auditExportStream(hostile, {}, 'csv', 10);
    const [header, first] = (await text(sut)).split('\r\n');
    expect(header).toBe('id,createdAt,tenantId,actorType,actorId,action,target,outcome,clientIp,requestId,details');
    expect(first).toContain(`"'=cmd|"" /C calc""!A0"`);
  });

  it('fails before streaming when the first batch cannot be read', async () => {
    await expect(auditExportStream(async () => Promise.reject(new Error('database down')), {}, 'csv')).rejects.toThrow('database down');
  });
});
