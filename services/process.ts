/** Background processes started by `playcount services up`: pid files, liveness, and stopping exactly what we started. */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Spawned {
  pid: number
  logFile: string
}

export function startDetached(opts: {
  cmd: string
  args: string[]
  env?: NodeJS.ProcessEnv
  pidFile: string
  logFile: string
  cwd?: string
}): Spawned {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true })
  const out = fs.openSync(opts.logFile, 'a')
  const child = spawn(opts.cmd, opts.args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
  })
  fs.closeSync(out)
  if (child.pid === undefined) throw new Error(`could not spawn ${opts.cmd}`)
  child.unref()
  fs.writeFileSync(opts.pidFile, `${child.pid}\n`)
  return { pid: child.pid, logFile: opts.logFile }
}

export function readPid(pidFile: string): number | undefined {
  if (!fs.existsSync(pidFile)) return undefined
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10)
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** True when the pid is alive AND its command line still contains `marker` (a reused pid is not ours). */
export function isOurs(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)
  } catch {
    return false
  }
}

/** Stops the process named by the pid file, if it is still ours: TERM, then KILL after `graceMs`. */
export async function stopByPidFile(
  pidFile: string,
  marker: string,
  graceMs = 30_000,
): Promise<'stopped' | 'not-running'> {
  const pid = readPid(pidFile)
  if (pid === undefined || !isOurs(pid, marker)) {
    fs.rmSync(pidFile, { force: true })
    return 'not-running'
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isOurs(pid, marker) && Date.now() < deadline) await sleep(100)
  if (isOurs(pid, marker)) process.kill(pid, 'SIGKILL')
  while (isOurs(pid, marker)) await sleep(50)
  fs.rmSync(pidFile, { force: true })
  return 'stopped'
}

/** Polls `probe` until it resolves true or the deadline passes. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe().catch(() => false)) return true
    if (Date.now() > deadline) return false
    await sleep(intervalMs)
  }
}

export function tailFile(file: string, lines = 20): string {
  if (!fs.existsSync(file)) return '(no log)'
  return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
}
