// Lint rules for cmpflow. The layering table below is the project's floor plan (docs/architecture.md):
// each area names the areas it may import; every other area of src/ and machines/ is refused, so an
// import that runs upward, or a cycle between folders, fails `npm run lint` with a message that says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

const mayImport = {
  errors: [],
  crypto: ['errors'],
  asn1: ['crypto', 'errors'],
  pki: ['asn1', 'crypto', 'errors'],
  credentials: ['asn1', 'crypto', 'errors'],
  transport: ['credentials', 'asn1', 'crypto', 'errors'],
  // The machines are pure: they know the protocol's words and errors, never the code that serves them.
  machines: ['errors'],
  session: ['machines', 'asn1', 'crypto', 'errors'],
  message: ['pki', 'asn1', 'crypto', 'credentials', 'errors'],
  protection: ['message', 'pki', 'asn1', 'crypto', 'credentials', 'errors'],
  validation: ['protection', 'message', 'pki', 'asn1', 'crypto', 'credentials', 'errors'],
  options: ['validation', 'pki', 'transport', 'credentials', 'asn1', 'crypto', 'errors'],
  client: ['options', 'machines', 'session', 'transport', 'validation', 'protection', 'message', 'pki', 'asn1', 'crypto', 'credentials', 'errors'],
  server: ['message', 'protection', 'pki', 'asn1', 'crypto', 'credentials', 'errors'],
};
// The CLI is the top floor: every area may serve it.
mayImport.cli = Object.keys(mayImport);

const areas = Object.keys(mayImport);
// Where each area lives: a folder, or a single file of src/.
const place = (area) => (area === 'machines' ? './machines' : ['errors', 'options'].includes(area) ? `./src/${area}.ts` : `./src/${area}`);

const layerZones = Object.entries(mayImport).map(([area, allowed]) => ({
  target: place(area),
  from: areas
    .filter((other) => other !== area && !allowed.includes(other))
    .map(place)
    // src/index.ts is the package entry, above every floor: nothing of the project imports it.
    .concat('./src/index.ts'),
  message: `${area} may import only ${allowed.length ? allowed.join(', ') : 'nothing of the project'} (the floors in docs/architecture.md).`,
}));

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.d.ts', '.js', '.json'] })],
    },
    rules: {
      // An import the resolver cannot follow would silently escape the layering rule, so it is an error.
      'import-x/no-unresolved': ['error', { ignore: ['^node:'] }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      // The CLI, the transport and the tests match control characters on purpose: they escape or refuse them.
      'no-control-regex': 'off',
      // A `let` declared before the closures that read it and assigned once after them stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Unused names are dead code; a leading underscore marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', Buffer: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The codec reads asn1-schema's private storage, which the package root does not export; the client's
    // template loads node:net only when a name needs it (start-up time).
    files: ['src/asn1/der-reader.ts', 'src/asn1/der-writer.ts', 'src/asn1/optional-choice.ts', 'src/client/template.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests, benchmarks and scripts stand outside the floors: they may reach any layer they exercise, load a
    // module lazily, and reach into values with `any` to corrupt them on purpose.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: {
      'import-x/no-restricted-paths': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
