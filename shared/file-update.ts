/**
 * Local files written whole: a reader sees the old content or the new, never a part (`replaceFile`: the local lake's
 * objects, the keys file). And read, change and write of a small file with no other writer's change lost in between
 * (`updateFile`): two operators running `playcount keys` at the same instant each get their change in. Writers take a lock (proper-lockfile: a directory
 * `<file>.lock`, stale after STALE_MS, so a writer that died does not block the others for long); readers never lock,
 * because the new content appears whole through a rename.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import lockfile from 'proper-lockfile'
import { Errors } from './errors.ts'

/** A lock not refreshed for this long belongs to a writer that died; proper-lockfile refreshes a live one. */
const STALE_MS = 10_000

export interface FileUpdateOptions {
  /** The mode of a file created or replaced, e.g. 0o600 for one holding secrets. */
  mode?: number
}

/** The bytes of `file`, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Writes through a temporary file, synced, and a rename: a reader sees the old content or the new, never a part. */
export async function replaceFile(file: string, bytes: Buffer | string, opts: FileUpdateOptions = {}): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  const handle = await fsp.open(tmp, 'w', opts.mode)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fsp.rename(tmp, file)
}

/**
 * Runs `change` on the file's current bytes (undefined when absent) and writes what it returns, holding the file's
 * lock from the read to the write. A lock held elsewhere is waited for (about 10 s at most), then LAKE_IO.
 */
export async function updateFile(
  file: string,
  change: (current: Buffer | undefined) => Buffer | string,
  opts: FileUpdateOptions = {},
): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true })
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: STALE_MS,
      retries: { retries: 40, factor: 1.3, minTimeout: 10, maxTimeout: 1000, randomize: true },
    })
  } catch (err) {
    throw new Errors.LAKE_IO(`locking ${file} to change it: ${(err as Error).message}`, { cause: err })
  }
  try {
    await replaceFile(file, change(await readIfExists(file)), opts)
  } finally {
    await release()
  }
}
