import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'kernels/**', 'results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['harness/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', {
        paths: [{ name: 'node:child_process', message: 'Spawn through harness/src/exec/run.ts (one module owns subprocesses).' },
                { name: 'child_process', message: 'Spawn through harness/src/exec/run.ts (one module owns subprocesses).' }],
      }],
    },
  },
  {
    files: ['harness/src/exec/**/*.ts', 'harness/bin/**/*.js'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['harness/bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
