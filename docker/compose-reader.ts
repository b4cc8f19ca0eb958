/**
 * A reader for the YAML subset docker-compose.yml is written in (there is no
 * YAML package among the project's dependencies): block mappings, block
 * sequences of scalars, JSON-style flow collections and double-quoted
 * strings, full-line comments. Anything else is an error, so the compose file
 * cannot silently drift out of what docker.spec.ts checks.
 */
export class ComposeSyntaxError extends Error {
  override readonly name = 'ComposeSyntaxError';
}

interface Line {
  readonly number: number;
  readonly indent: number;
  readonly text: string;
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export function parseComposeYaml(source: string): YamlValue {
  const lines: Line[] = source.split('\n').flatMap((raw, index) => {
    const text = raw.trimEnd();
    if (text.trim() === '' || text.trim().startsWith('#')) return [];
    if (text.includes('\t')) throw new ComposeSyntaxError(`line ${index + 1}: tabs are not allowed`);
    return [{ number: index + 1, indent: text.length - text.trimStart().length, text: text.trim() }];
  });
  const [value, next] = parseBlock(lines, 0, lines[0]?.indent ?? 0);
  if (next !== lines.length) throw new ComposeSyntaxError(`line ${lines[next]?.number}: unexpected indentation`);
  return value;
}

function parseBlock(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const first = lines[start];
  if (!first) return [null, start];
  return first.text.startsWith('- ') ? parseSequence(lines, start, indent) : parseMapping(lines, start, indent);
}

function parseSequence(lines: Line[], start: number, indent: number): [YamlValue[], number] {
  const items: YamlValue[] = [];
  let index = start;
  while (index < lines.length && lines[index]!.indent === indent && lines[index]!.text.startsWith('- ')) {
    const line = lines[index]!;
    const item = line.text.slice(2).trim();
    if (/^[A-Za-z0-9_.-]+:(\s|$)/.test(item)) {
      throw new ComposeSyntaxError(`line ${line.number}: mappings inside sequences are outside the supported subset`);
    }
    items.push(parseScalar(item, line.number));
    index += 1;
  }
  return [items, index];
}

function parseMapping(lines: Line[], start: number, indent: number): [{ [key: string]: YamlValue }, number] {
  const mapping: { [key: string]: YamlValue } = {};
  let index = start;
  while (index < lines.length && lines[index]!.indent === indent) {
    const line = lines[index]!;
    const match = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(line.text);
    if (!match) throw new ComposeSyntaxError(`line ${line.number}: expected "key: value", got "${line.text}"`);
    const key = match[1]!;
    if (key in mapping) throw new ComposeSyntaxError(`line ${line.number}: duplicate key "${key}"`);
    index += 1;
    if (match[2] !== undefined) {
      mapping[key] = parseScalar(match[2], line.number);
      continue;
    }
    const child = lines[index];
    if (!child || child.indent <= indent) {
      mapping[key] = null;
      continue;
    }
    const [value, next] = parseBlock(lines, index, child.indent);
    mapping[key] = value;
    index = next;
  }
  if (index < lines.length && lines[index]!.indent > indent) {
    throw new ComposeSyntaxError(`line ${lines[index]!.number}: unexpected indentation`);
  }
  return [mapping, index];
}

function parseScalar(text: string, lineNumber: number): YamlValue {
  if (/^["[{]/.test(text)) {
    try {
      return JSON.parse(text) as YamlValue;
    } catch {
      throw new ComposeSyntaxError(`line ${lineNumber}: quoted strings and flow collections must be valid JSON: ${text}`);
    }
  }
  if (text.startsWith("'") || text.includes(' #')) {
    throw new ComposeSyntaxError(`line ${lineNumber}: single quotes and trailing comments are outside the supported subset`);
  }
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}
