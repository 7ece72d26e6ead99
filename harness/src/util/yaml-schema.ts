// Load a YAML data file and validate it with a JSON schema; every problem is
// reported as "file: /json/path: what was expected", all at once.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type Schema } from 'ajv';
import { parseDocument } from 'yaml';
import { UserError } from '../errors.ts';
import { closest } from './text.ts';

// verbose: a oneOf error then carries its branches (schema) and the value (data),
// which is what picking the one relevant branch needs.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });

type Branch = { properties?: Record<string, { const?: unknown }> };

/** The property every branch pins with `const` (provider, kind): it says which branch was meant. */
function discriminator(branches: Branch[]): string | undefined {
  const first = branches[0]?.properties ?? {};
  return Object.keys(first).find((k) => branches.every((b) => b.properties?.[k]?.const !== undefined));
}

function within(e: ErrorObject, o: ErrorObject): boolean {
  const sameValue = e.instancePath === o.instancePath || e.instancePath.startsWith(`${o.instancePath}/`);
  return sameValue && e.schemaPath.startsWith(`${o.schemaPath}/`);
}

/**
 * A failed oneOf makes ajv report every branch's errors (10+ lines for one
 * typo). Keep only the branch that was meant: the one whose discriminator
 * (`provider`, `kind`) matches the value; when none matches, one line naming
 * the allowed values; without a discriminator, the branch with fewest errors.
 */
export function reduceOneOfErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  let errs = [...errors];
  const oneOfs = errs.filter((e) => e.keyword === 'oneOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const o of oneOfs) {
    if (!errs.includes(o)) continue; // inside a branch an outer oneOf dropped
    const branches = (Array.isArray(o.schema) ? o.schema : []) as Branch[];
    const inBranch = (i: number) => errs.filter((e) => within(e, o) && e.schemaPath.startsWith(`${o.schemaPath}/${i}/`));
    let keep: ErrorObject[];
    const key = discriminator(branches);
    const data = o.data as Record<string, unknown> | null | undefined;
    const synthetic = (instancePath: string, message: string): ErrorObject[] => [{ instancePath, schemaPath: o.schemaPath, keyword: 'oneOf', params: {}, message }];
    if (key) {
      const allowed = branches.map((b) => String(b.properties?.[key]?.const));
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        keep = synthetic(o.instancePath, `must be a mapping with ${key}: one of ${allowed.join(', ')}`);
      } else if (data[key] === undefined) {
        keep = synthetic(o.instancePath, `must have ${key}: one of ${allowed.join(', ')}`);
      } else {
        const i = branches.findIndex((b) => b.properties?.[key]?.const === data[key]);
        keep = i >= 0 ? inBranch(i) : synthetic(`${o.instancePath}/${key}`, `must be one of: ${allowed.join(', ')}; got ${JSON.stringify(data[key])}`);
      }
    } else {
      const counts = branches.map((_, i) => inBranch(i).length);
      const best = counts.indexOf(Math.min(...counts));
      keep = best >= 0 ? inBranch(best) : [o];
    }
    // The chosen branch may be valid when the oneOf failed for matching twice: keep ajv's line then.
    if (keep.length === 0) keep = [o];
    const at = errs.indexOf(o);
    const rest = errs.filter((e) => e !== o && !within(e, o));
    const before = rest.filter((e) => errs.indexOf(e) < at);
    errs = [...before, ...keep, ...rest.filter((e) => errs.indexOf(e) > at)];
  }
  return errs;
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

export function formatSchemaErrors(file: string, errors: ErrorObject[] | null | undefined): string[] {
  const lines = mergeMisspelledKeys(reduceOneOfErrors(errors ?? [])).map((e) => {
    const path = e.instancePath || '/';
    let what = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') what = `unknown key "${String(e.params.additionalProperty)}"`;
    if (e.keyword === 'enum') what = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    if (e.keyword === 'const') what = `must be ${JSON.stringify(e.params.allowedValue)}`;
    return `${file}: ${path}: ${what}`;
  });
  return [...new Set(lines)];
}

export function validateData<T>(file: string, data: unknown, schema: Schema, code = 'CONFIG_INVALID'): T {
  const validate = ajv.compile(schema);
  if (!validate(data)) {
    const problems = formatSchemaErrors(file, validate.errors);
    throw new UserError(code, `${file} is not valid:\n  ${problems.join('\n  ')}`, { stage: 'cli', hint: 'correct each field named above (a JSON path into the file); nothing was started' });
  }
  return data as T;
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
