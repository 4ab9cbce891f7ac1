// Lint rules for cmpflow. The layering table below is the project's floor plan (docs/architecture.md):
// each room names the rooms it may import; every other room of src/ and machines/ is refused, so an
// import that runs upward or sideways, or a cycle between folders, fails `npm run lint` with a message that says why.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

// The other top-level files of src/ are helpers (bytes, the bounded cache, the protocol's words...): they import
// nothing of the project but errors, so every floor may use them. Read from the tree, so a new one is held too.
const helpers = readdirSync(join(import.meta.dirname, 'src'))
  .filter((name) => name.endsWith('.ts') && !['errors.ts', 'options.ts', 'index.ts'].includes(name))
  .map((name) => name.slice(0, -'.ts'.length));

// The rooms above errors and the helpers, each with the rooms it may import (test/project/layers.test.ts holds the
// same floors as a specification; these rules say it where the code is written, and some rooms keep a narrower door).
const mayImport = {
  crypto: [],
  transport: [],
  asn1: ['crypto'],
  // Credentials read PKCS#8 and PKCS#12, which are ASN.1: they stand on the codec.
  credentials: ['asn1', 'crypto'],
  pki: ['asn1', 'credentials', 'crypto'],
  // CMS (EnvelopedData, SignedData) for centrally generated keys: above the PKI, below the messages that carry it.
  cms: ['pki', 'asn1', 'credentials', 'crypto'],
  // Message (what we send) and protection stand side by side: neither imports the other.
  message: ['cms', 'pki', 'asn1', 'credentials', 'crypto'],
  protection: ['cms', 'pki', 'asn1', 'credentials', 'crypto'],
  validation: ['protection', 'message', 'cms', 'pki', 'asn1', 'credentials', 'crypto'],
  // The machines are pure: they know the protocol's words and errors, never the code that serves them.
  machines: [],
  options: ['validation', 'cms', 'pki', 'transport', 'credentials', 'asn1', 'crypto'],
  session: ['machines', 'options', 'validation', 'protection', 'message', 'cms', 'pki', 'credentials', 'asn1', 'transport', 'crypto'],
  client: ['options', 'machines', 'session', 'transport', 'validation', 'protection', 'message', 'cms', 'pki', 'asn1', 'crypto', 'credentials'],
  server: ['message', 'protection', 'cms', 'pki', 'asn1', 'crypto', 'credentials'],
  // Fleet work (many devices' sessions, a queue, durable timers) drives the client; it never reaches below the session.
  fleet: ['client', 'session', 'options', 'transport', 'credentials', 'pki', 'asn1', 'crypto'],
};
// The CLI stands on every room; the package entries (src/index.ts and src/entries/) stand on the CLI's floor plan
// too, and nothing of the project imports an entry.
mayImport.cli = Object.keys(mayImport);
mayImport.entries = Object.keys(mayImport);
mayImport.index = mayImport.entries;

const rooms = Object.keys(mayImport);
/** Where a room lives: machines/ at the top of the repository, a top-level file of src/, or a folder of src/. */
const place = (room) =>
  room === 'machines' ? './machines' : [...helpers, 'errors', 'options', 'index'].includes(room) ? `./src/${room}.ts` : `./src/${room}`;

const layerZones = [
  ...Object.entries(mayImport).map(([room, allowed]) => ({
    target: place(room),
    from: rooms.filter((other) => other !== room && !allowed.includes(other)).map(place),
    message: `${room} may import only ${[...allowed, 'errors'].join(', ')} and the helpers of src/ (the floors in docs/architecture.md).`,
  })),
  ...helpers.map((helper) => ({
    target: place(helper),
    from: [...rooms, ...helpers.filter((other) => other !== helper)].map(place),
    message: `${helper} is a helper of src/: it imports nothing of the project but errors, so every floor may use it.`,
  })),
  {
    target: place('errors'),
    from: [...rooms, ...helpers].map(place),
    message: 'errors is the ground floor: it imports nothing of the project.',
  },
];

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
