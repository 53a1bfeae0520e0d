/**
 * A tiny declarative validator: enough to check a JSON config against a
 * schema, fill defaults, and report the first problem as `key.path: reason`
 * (fastify-style fail-at-start), without pulling in a JSON-schema library.
 */

export type FieldSchema =
  | { type: 'number'; default?: number; min?: number; max?: number; integer?: boolean; optional?: boolean }
  | { type: 'string'; default?: string; enum?: readonly string[]; optional?: boolean; nonEmpty?: boolean }
  | { type: 'boolean'; default?: boolean; optional?: boolean }
  | { type: 'string[]'; default?: string[]; optional?: boolean }
  | { type: 'object'; fields: Record<string, FieldSchema>; optional?: boolean };

export class ConfigError extends Error {
  constructor(
    readonly keyPath: string,
    readonly problem: string,
  ) {
    super(`invalid config: ${keyPath}: ${problem}`);
    this.name = 'ConfigError';
  }
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Returns a new object: the input checked against the schema, with defaults filled in. */
export function validate(schema: FieldSchema, input: unknown, path: string): unknown {
  switch (schema.type) {
    case 'object': {
      const src = input === undefined ? {} : input;
      if (typeOf(src) !== 'object') throw new ConfigError(path, `expected an object, got ${typeOf(src)}`);
      const obj = src as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        if (!(key in schema.fields)) throw new ConfigError(join(path, key), 'unknown key');
      }
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(schema.fields)) {
        const v = validate(field, obj[key], join(path, key));
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    case 'number': {
      if (input === undefined) return required(schema, path);
      if (typeof input !== 'number' || !Number.isFinite(input)) throw new ConfigError(path, `expected a number, got ${typeOf(input)}`);
      if (schema.integer && !Number.isInteger(input)) throw new ConfigError(path, `expected an integer, got ${input}`);
      if (schema.min !== undefined && input < schema.min) throw new ConfigError(path, `must be >= ${schema.min}, got ${input}`);
      if (schema.max !== undefined && input > schema.max) throw new ConfigError(path, `must be <= ${schema.max}, got ${input}`);
      return input;
    }
    case 'string': {
      if (input === undefined) return required(schema, path);
      if (typeof input !== 'string') throw new ConfigError(path, `expected a string, got ${typeOf(input)}`);
      if (schema.nonEmpty && input.length === 0) throw new ConfigError(path, 'must not be empty');
      if (schema.enum && !schema.enum.includes(input)) {
        throw new ConfigError(path, `must be one of ${schema.enum.join(', ')}, got '${input}'`);
      }
      return input;
    }
    case 'boolean': {
      if (input === undefined) return required(schema, path);
      if (typeof input !== 'boolean') throw new ConfigError(path, `expected true or false, got ${typeOf(input)}`);
      return input;
    }
    case 'string[]': {
      if (input === undefined) return required(schema, path);
      if (!Array.isArray(input)) throw new ConfigError(path, `expected an array of strings, got ${typeOf(input)}`);
      input.forEach((v, i) => {
        if (typeof v !== 'string') throw new ConfigError(`${path}[${i}]`, `expected a string, got ${typeOf(v)}`);
      });
      return [...input];
    }
  }
}

function required(schema: { default?: unknown; optional?: boolean }, path: string): unknown {
  if (schema.default !== undefined) return Array.isArray(schema.default) ? [...schema.default] : schema.default;
  if (schema.optional) return undefined;
  throw new ConfigError(path, 'is required');
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
