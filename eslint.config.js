// Lint: typescript-eslint's type-aware recommended rules plus the few house rules
// a linter can check; layout rules live in scripts/check-boundaries.ts.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', '.toolchain/', 'var/', 'image/out/', 'image/cache/', 'eslint.config.js', 'appliance/bus/native/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSParameterProperty', message: 'Declare fields explicitly (erasable syntax only).' },
        { selector: "PropertyDefinition[accessibility='private']", message: 'Use #private fields, not the private keyword.' },
        { selector: "MethodDefinition[accessibility='private'][kind!='constructor']", message: 'Use #private methods, not the private keyword.' },
      ],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['test/**', 'scripts/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
