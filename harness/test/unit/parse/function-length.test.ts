// No function in harness/src/parse is over 60 lines, unless a comment right
// before it says why ("... over 60 lines because ..."). Counted from the
// first to the last line of the function, nested functions included.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const MAX_LINES = 60;
const PARSE_DIR = fileURLToPath(new URL('../../../src/parse/', import.meta.url));

interface FunctionSpan { name: string; line: number; lines: number; excused: boolean }

function functionsIn(file: string): FunctionSpan[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      // The comment may sit before the statement that holds the function (`const f = () => ...`).
      const holder = ts.isVariableDeclaration(node.parent) ? node.parent.parent.parent : node;
      const comments = ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? [];
      spans.push({
        name: node.name?.getText(source) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : '(anonymous)'),
        line: first + 1,
        lines: last - first + 1,
        excused: comments.some((c) => /over 60 lines/i.test(text.slice(c.pos, c.end))),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

describe('harness/src/parse function length', () => {
  const files = readdirSync(PARSE_DIR).filter((f) => f.endsWith('.ts')).map((f) => join(PARSE_DIR, f));

  it('finds the functions it measures', () => {
    const names = files.flatMap(functionsIn).map((f) => f.name);
    assert.ok(names.includes('parseKtapBlock') && names.includes('scanConsole'), names.join(', '));
  });

  it(`has no function over ${MAX_LINES} lines without a comment saying why`, () => {
    const long = files.flatMap((file) => functionsIn(file)
      .filter((f) => f.lines > MAX_LINES && !f.excused)
      .map((f) => `parse/${basename(file)}:${f.line} ${f.name} (${f.lines} lines)`));
    assert.deepEqual(long, []);
  });
});
