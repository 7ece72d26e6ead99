// Load a YAML data file and validate it with a JSON schema written in TypeBox
// (so the type is `Static<typeof schema>` and the file is described once);
// every problem is reported as "file: /json/path: what was expected", all at once.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { Type, type SchemaOptions, type Static, type TObject, type TSchema, type TUnion, type TUnsafe } from '@sinclair/typebox';
import { parseDocument } from 'yaml';
import { UserError } from '../errors.ts';
import { closest } from './text.ts';

// useDefaults: every `default` in a schema is applied here, before `required`
// is checked, so a property with a default is non-optional in its Static type
// and no loader refills one. discriminator: a tagged union (below) validates
// and fills defaults in the one branch its tag names; a plain oneOf would try
// every branch and ajv fills no default inside one.
// verbose: errors carry their parentSchema, which names the union's branches.
const ajv = new Ajv({ allErrors: true, useDefaults: true, discriminator: true, strict: false, verbose: true });

/** One of a fixed set of strings, as JSON Schema `enum` (TypeBox's Union of Literals is an anyOf with noisier errors). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, enum: [...values] });
}

/**
 * A mapping whose `key` (provider, kind) says which branch it is: each branch
 * pins `key` with a Literal. Validated with ajv's discriminator, so errors and
 * defaults come from that branch alone.
 */
export function TaggedUnion<T extends TObject[]>(key: string, branches: [...T]): TUnsafe<Static<TUnion<T>>> {
  return Type.Unsafe<Static<TUnion<T>>>({ type: 'object', discriminator: { propertyName: key }, required: [key], oneOf: branches });
}

interface TaggedUnionSchema {
  discriminator: { propertyName: string };
  oneOf: { properties?: Record<string, { const?: unknown }> }[];
}

function taggedUnionOf(e: ErrorObject): TaggedUnionSchema | undefined {
  const s = e.parentSchema as Partial<TaggedUnionSchema> | undefined;
  return s?.discriminator && Array.isArray(s.oneOf) ? (s as TaggedUnionSchema) : undefined;
}

/**
 * ajv's errors about a tagged union itself (not a mapping, no tag, a tag no
 * branch has) become one line naming the allowed values; errors inside the
 * branch the tag names are kept as they are.
 */
function describeTaggedUnionErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  return errors.flatMap((e): ErrorObject[] => {
    const union = taggedUnionOf(e);
    if (!union) return [e];
    const key = union.discriminator.propertyName;
    const allowed = union.oneOf.map((b) => String(b.properties?.[key]?.const)).join(', ');
    const line = (instancePath: string, message: string): ErrorObject[] => [{ ...e, keyword: 'discriminator', instancePath, message }];
    if (e.keyword === 'type') return line(e.instancePath, `must be a mapping with ${key}: one of ${allowed}`);
    if (e.keyword === 'required' && e.params.missingProperty === key) return line(e.instancePath, `must have ${key}: one of ${allowed}`);
    if (e.keyword === 'discriminator') {
      const tagValue = (e.params as { tagValue?: unknown }).tagValue;
      // A missing tag is also a `required` error, said above.
      if (tagValue === undefined) return [];
      return line(`${e.instancePath}/${key}`, `must be one of: ${allowed}; got ${JSON.stringify(tagValue)}`);
    }
    return [e];
  });
}

/** `pth:` for `path:` is one mistake: say "unknown key "pth" (did you mean "path"?)" instead of two lines. */
function mergeMisspelledKeys(errors: ErrorObject[]): ErrorObject[] {
  const out = [...errors];
  for (const unknown of errors.filter((e) => e.keyword === 'additionalProperties')) {
    const key = String(unknown.params.additionalProperty);
    const missing = out.filter((e) => e.keyword === 'required' && e.instancePath === unknown.instancePath);
    const meant = closest(key, missing.map((e) => String(e.params.missingProperty)));
    if (meant === undefined) continue;
    out.splice(out.findIndex((e) => e.keyword === 'required' && e.instancePath === unknown.instancePath && e.params.missingProperty === meant), 1);
    out.splice(out.indexOf(unknown), 1, { ...unknown, keyword: 'misspelled', message: `unknown key "${key}" (did you mean "${meant}"?)` });
  }
  return out;
}

function formatSchemaErrors(file: string, errors: ErrorObject[] | null | undefined): string[] {
  const lines = mergeMisspelledKeys(describeTaggedUnionErrors(errors ?? [])).map((e) => {
    const path = e.instancePath || '/';
    let what = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') what = `unknown key "${String(e.params.additionalProperty)}"`;
    if (e.keyword === 'enum') what = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    if (e.keyword === 'const') what = `must be ${JSON.stringify(e.params.allowedValue)}`;
    return `${file}: ${path}: ${what}`;
  });
  return [...new Set(lines)];
}

/** `data` checked against `schema`, with the schema's defaults filled in (in place). */
export function validateData<T extends TSchema>(file: string, data: unknown, schema: T, code = 'CONFIG_INVALID'): Static<T> {
  const validate = ajv.compile(schema);
  if (!validate(data)) {
    const problems = formatSchemaErrors(file, validate.errors);
    throw new UserError(code, `${file} is not valid:\n  ${problems.join('\n  ')}`, { stage: 'cli', hint: 'correct each field named above (a JSON path into the file); nothing was started' });
  }
  return data as Static<T>;
}

export function loadYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UserError('CONFIG_UNREADABLE', `cannot read ${file}: ${(cause as Error).message}`, { cause, stage: 'cli', hint: 'check the path and its permissions' });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new UserError('CONFIG_YAML', `${file} is not valid YAML:\n  ${msgs.join('\n  ')}`, { stage: 'cli', hint: 'fix the syntax at the line named above; nothing was started' });
  }
  return doc.toJS();
}
