import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { bundledWorker } from '../../../shared/fast/ts-worker.ts'
import { workerBundle } from '../../../shared/fast/worker-bundle.ts'

const dirs: string[] = []
const bundles: string[] = []

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  // The test's bundles and their manifest (`<name>.json` beside `<name>-<code hash>.mjs`) leave the cache with it.
  for (const bundle of bundles.splice(0)) {
    fs.rmSync(bundle, { force: true })
    fs.rmSync(bundle.replace(/-[0-9a-f]{12}\.mjs$/, '.json'), { force: true })
  }
})

/** A worker module that imports a second TypeScript file and posts what that file exports. */
function workerModule(answer: string): { entry: URL; setAnswer: (a: string) => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-bundle-'))
  dirs.push(dir)
  // ES modules, as in the repository (tsx reads a .ts file outside any package as CommonJS).
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n')
  const dep = path.join(dir, 'answer.ts')
  const setAnswer = (a: string): void => fs.writeFileSync(dep, `export const answer: string = ${JSON.stringify(a)}\n`)
  setAnswer(answer)
  const entry = path.join(dir, 'entry.ts')
  fs.writeFileSync(
    entry,
    `import { parentPort } from 'node:worker_threads'\nimport { answer } from './answer.ts'\n` +
      `const reply: { answer: string } = { answer }\nparentPort!.postMessage(reply)\n`,
  )
  return { entry: pathToFileURL(entry), setAnswer }
}

/** Runs the bundle as a plain JavaScript worker (no tsx) and returns its one message. */
async function run(bundle: string): Promise<unknown> {
  bundles.push(bundle)
  return firstMessage(new Worker(bundle))
}

async function firstMessage(worker: Worker): Promise<unknown> {
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
  } finally {
    await worker.terminate()
  }
}

describe('workerBundle', () => {
  it('runs the module graph as one JavaScript file, and never a bundle older than a file of the graph', async () => {
    const { entry, setAnswer } = workerModule('first')
    const first = workerBundle(entry)
    expect(first.endsWith('.mjs')).toBe(true)
    await expect(run(first)).resolves.toEqual({ answer: 'first' })
    // Unchanged sources: the same bundle.
    expect(workerBundle(entry)).toBe(first)

    // An imported file changes: a new bundle with the new code.
    setAnswer('second')
    const second = workerBundle(entry)
    expect(second).not.toBe(first)
    await expect(run(second)).resolves.toEqual({ answer: 'second' })

    // And back: the bundle follows the content, not the time of the change.
    setAnswer('first')
    await expect(run(workerBundle(entry))).resolves.toEqual({ answer: 'first' })
  })

  it('starts the thread through tsx when no bundle can be written (a read-only install)', async () => {
    const { entry } = workerModule('through tsx')
    // A cache folder under a regular file cannot be made, whoever runs the test (root included).
    const blocked = path.join(fileURLToPath(new URL('.', entry)), 'answer.ts', 'cache')
    expect(() => workerBundle(entry, blocked)).toThrow()
    const warnings: string[] = []
    const onWarning = (w: Error): number => warnings.push(w.message)
    process.on('warning', onWarning)
    try {
      await expect(firstMessage(bundledWorker(entry, {}, blocked))).resolves.toEqual({ answer: 'through tsx' })
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.some((m) => m.includes('starts through tsx'))).toBe(true)
  })
})
