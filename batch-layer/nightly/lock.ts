/**
 * One batch run at a time, also across processes on this machine: an O_EXCL lock file under PLAYCOUNT_HOME that
 * names its holder's pid. A lock whose holder is gone (killed mid-run) is stale and taken over. The file name
 * carries a hash of the lake, so two pipelines with different lakes do not block each other.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'

export interface LockHolder {
  pid: number
  host: string
  runId: string
  since: string
}

export interface BatchLock {
  readonly file: string
  release(): Promise<void>
}

export function batchLockFile(config: Readonly<Config>): string {
  const lakeHash = crypto.createHash('sha1').update(config.lakeUri).digest('hex').slice(0, 10)
  return path.join(config.home, `batch-${lakeHash}.lock`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as LockHolder
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // Gone since we looked, or half-written by a holder killed between open and write: both count as no holder.
    if (code === 'ENOENT' || err instanceof SyntaxError) return undefined
    throw err
  }
}

function describe(h: LockHolder): string {
  return `run ${h.runId} (pid ${h.pid} on ${h.host}, since ${h.since})`
}

async function tryAcquire(file: string, me: LockHolder): Promise<LockHolder | undefined> {
  try {
    const fh = await fsp.open(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644)
    try {
      await fh.writeFile(JSON.stringify(me))
    } finally {
      await fh.close()
    }
    return undefined
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const holder = await readHolder(file)
  const stale = holder === undefined || (holder.host === os.hostname() && !alive(holder.pid))
  if (!stale) return holder
  // Take over a stale lock by renaming it away first: of two processes doing this at once only one rename wins.
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(3).toString('hex')}`
  try {
    await fsp.rename(file, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    return tryAcquire(file, me)
  }
  const moved = await readHolder(aside)
  if (moved !== undefined && moved.runId !== holder?.runId && alive(moved.pid)) {
    // Someone took the stale lock between our read and our rename: give theirs back (unless a third took it).
    await fsp.link(aside, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
    await fsp.rm(aside, { force: true })
    return moved
  }
  await fsp.rm(aside, { force: true })
  return tryAcquire(file, me)
}

/** Takes the lock or throws BATCH_LOCKED naming the holder; with `waitMs`, polls until the holder is done. */
export async function acquireBatchLock(config: Readonly<Config>, runId: string, waitMs = 0): Promise<BatchLock> {
  const file = batchLockFile(config)
  await fsp.mkdir(path.dirname(file), { recursive: true })
  const me: LockHolder = { pid: process.pid, host: os.hostname(), runId, since: new Date().toISOString() }
  const deadline = Date.now() + waitMs
  for (;;) {
    const holder = await tryAcquire(file, me)
    if (holder === undefined) break
    if (Date.now() >= deadline) throw new Errors.BATCH_LOCKED(`${describe(holder)}; try again when it has finished`)
    await sleep(Math.min(250, Math.max(1, deadline - Date.now())))
  }
  return {
    file,
    release: async () => {
      const holder = await readHolder(file)
      if (holder?.runId === runId && holder.pid === process.pid) await fsp.rm(file, { force: true })
    },
  }
}
