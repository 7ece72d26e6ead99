// Load a YAML data file and validate it with a JSON schema; every problem is
// reported as "file: /json/path: what was expected", all at once.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type Schema } from 'ajv';
import { parseDocument } from 'yaml';
import { UserError } from '../errors.ts';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

export function formatSchemaErrors(file: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath || '/';
    let what = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') what = `unknown key "${String(e.params.additionalProperty)}"`;
    if (e.keyword === 'enum') what = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    return `${file}: ${path}: ${what}`;
  });
}

export function validateData<T>(file: string, data: unknown, schema: Schema, code = 'CONFIG_INVALID'): T {
  const validate = ajv.compile(schema);
  if (!validate(data)) {
    const problems = formatSchemaErrors(file, validate.errors);
    throw new UserError(code, `${file} is not valid:\n  ${problems.join('\n  ')}`, { stage: 'cli' });
  }
  return data as T;
}

export function loadYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new UserError('CONFIG_UNREADABLE', `cannot read ${file}`, { cause, stage: 'cli' });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new UserError('CONFIG_YAML', `${file} is not valid YAML:\n  ${msgs.join('\n  ')}`, { stage: 'cli' });
  }
  return doc.toJS();
}
