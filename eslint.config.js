import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const LAYERS = ['ingest', 'speed-layer', 'batch-layer', 'serving-layer']
/** Folders that may import any other; neither a layer nor shared/ imports them. */
const OUTER = ['cli', 'tools', 'services']

function layerImports() {
  return [...LAYERS, 'shared'].map((folder) => {
    const others = [...LAYERS, ...OUTER].filter((f) => f !== folder)
    const rule =
      folder === 'shared' ? 'shared/ imports nothing outside shared/' : `${folder}/ imports only itself and shared/`
    return {
      files: [`${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [{ regex: `^(\\.\\./)+(${others.join('|')})/`, message: rule }],
          },
        ],
      },
    }
  })
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'bench/results/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-console': 'error',
      // No code generated at run time (docs/ARCHITECTURE.md#conventions): generate at build time and commit it.
      'no-eval': 'error',
      'no-new-func': 'error',
      // The core rule (string arguments to setTimeout/setInterval); the typed variant would need type information
      // for every lint run.
      'no-implied-eval': 'error',
    },
  },
  // Layers import shared/, never each other (docs/ARCHITECTURE.md#layers-and-where-they-live).
  ...layerImports(),
  {
    // The CLI, benches and scripts talk to a person on a terminal; everything else logs through pino.
    files: ['cli/**', 'bench/**', 'scripts/**', 'bin/**', 'services/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['serving-layer/dashboard/public/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        uPlot: 'readonly',
        setInterval: 'readonly',
        URLSearchParams: 'readonly',
        HTMLElement: 'readonly',
      },
    },
  },
)
