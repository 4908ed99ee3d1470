/**
 * A worker thread's module graph as one JavaScript file, so the thread starts without tsx. Started through tsx
 * (ts-worker.ts), a thread first boots tsx's loader and then sends every file through its hooks: the archiver's
 * encoder thread took 0.37-0.66 s of CPU to start that way, and 0.09 s from this bundle (measured on the same
 * machine, one after the other), 0.3-0.5 µs a row of a million-row archive run.
 *
 * The bundle is built by esbuild when first asked for and again whenever a file of the graph changed: a manifest
 * beside it records the SHA-256 of every input, checked before each use, so a thread never runs code older than its
 * sources. Packages are bundled too (one file to load instead of TypeBox's 266).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type * as Esbuild from 'esbuild'

const root = fileURLToPath(new URL('../../', import.meta.url))
const CACHE_DIR = path.join(root, 'node_modules', '.cache', 'playcount', 'workers')

/** A bundled CommonJS package (e.g. @fastify/error) calls require() for Node's built-ins; ESM has none of its own. */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

interface Manifest {
  /** Input path (relative to the repository) to the SHA-256 of its content when the bundle was built. */
  inputs: Record<string, string>
  bundle: string
}

function sha256(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex')
}

/** The manifest's bundle if every input still has the content it was built from. */
function freshBundle(cacheDir: string, manifestPath: string): string | undefined {
  let manifest: Manifest
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest
  } catch {
    return undefined
  }
  const bundle = path.join(cacheDir, manifest.bundle)
  if (!fs.existsSync(bundle)) return undefined
  for (const [input, hash] of Object.entries(manifest.inputs)) {
    let content: Buffer
    try {
      content = fs.readFileSync(path.join(root, input))
    } catch {
      return undefined
    }
    if (sha256(content) !== hash) return undefined
  }
  return bundle
}

/**
 * Bundles of this worker older than an hour are deleted when a new one is written, so edits do not pile bundles up;
 * a younger one may still be about to start in another process that read the manifest before the rebuild.
 */
const STALE_BUNDLE_MS = 3_600_000

function dropStaleBundles(cacheDir: string, name: string, keep: string): void {
  for (const file of fs.readdirSync(cacheDir)) {
    if (!file.startsWith(`${name}-`) || !file.endsWith('.mjs') || file === keep) continue
    const full = path.join(cacheDir, file)
    if (Date.now() - fs.statSync(full).mtimeMs > STALE_BUNDLE_MS) fs.rmSync(full, { force: true })
  }
}

/** Writes `data` to `file` atomically (another process may build the same bundle at the same time). */
function writeAtomically(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, data)
  fs.renameSync(tmp, file)
}

/**
 * The path of an up-to-date bundle of the worker module `entry` (a .ts file), built now if there is none. Throws if
 * it can be neither found nor built (e.g. `cacheDir` not writable).
 */
export function workerBundle(entry: URL, cacheDir = CACHE_DIR): string {
  const source = fileURLToPath(entry)
  const name = `${path.basename(source, '.ts')}-${sha256(source).slice(0, 12)}`
  const manifestPath = path.join(cacheDir, `${name}.json`)
  const fresh = freshBundle(cacheDir, manifestPath)
  if (fresh !== undefined) return fresh
  // Loaded only to build: a fresh bundle needs no esbuild in the process.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof Esbuild
  const result = buildSync({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    write: false,
    outfile: path.join(cacheDir, `${name}.mjs`),
    absWorkingDir: root,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]!.text
  const inputs: Record<string, string> = {}
  for (const input of Object.keys(result.metafile.inputs))
    inputs[input] = sha256(fs.readFileSync(path.join(root, input)))
  const bundle = `${name}-${sha256(code).slice(0, 12)}.mjs`
  fs.mkdirSync(cacheDir, { recursive: true })
  writeAtomically(path.join(cacheDir, bundle), code)
  writeAtomically(manifestPath, JSON.stringify({ inputs, bundle } satisfies Manifest))
  dropStaleBundles(cacheDir, name, bundle)
  return path.join(cacheDir, bundle)
}
