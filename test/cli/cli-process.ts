/** A `playcount` command as a real child process, with what it prints and the processes it spawned. */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject, onTestFinished } from 'vitest'
import type { Config } from '../../shared/config.ts'
import { eventually } from '../helpers.ts'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'playcount.js')

/** The environment that points a child process at the same topic, lake and services as `config`. */
export function childEnv(config: Readonly<Config>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    KAFKA_TOPIC: config.kafka.topic,
    KAFKA_GROUP_PREFIX: config.kafka.groupPrefix,
    KAFKA_PARTITIONS: String(config.kafka.partitions),
    S3_ENDPOINT: inject('s3Endpoint'),
    PLAYCOUNT_HOME: config.home,
    PLAYCOUNT_CACHE: config.cacheDir,
    LAKE_URI: config.lakeUri,
    PORT: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  }
}

export class CliProcess {
  readonly child: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<number | null>

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child.stdout?.on('data', (b: Buffer) => {
      this.stdout += b.toString()
    })
    this.child.stderr?.on('data', (b: Buffer) => {
      this.stderr += b.toString()
    })
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null)
    // A failed assertion must not leave the process (or what it spawned) running.
    onTestFinished(async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return
      for (const pid of childPids(this.child.pid ?? -1)) process.kill(pid, 'SIGKILL')
      this.child.kill('SIGKILL')
      await this.exited
    })
  }

  /** Waits for the process to exit by itself; returns its exit code. */
  async exit(timeoutMs = 60_000): Promise<number | null> {
    await eventually(
      async () => (this.child.exitCode !== null || this.child.signalCode !== null ? true : undefined),
      timeoutMs,
      'the process to exit',
    )
    return this.exited
  }

  /** Waits for a line of stdout matching `re`; fails early with the output when the process exits first. */
  async line(re: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
    return eventually(
      async () => {
        const m = this.stdout.match(re)
        if (m) return m
        if (this.child.exitCode !== null)
          throw new Error(`exited ${this.child.exitCode} before printing ${re}:\n${this.stdout}\n${this.stderr}`)
        return undefined
      },
      timeoutMs,
      `a line matching ${re}`,
    )
  }
}

/** The live processes whose parent is `pid` (from /proc, so nothing the process says about itself is trusted). */
export function childPids(pid: number): number[] {
  const out: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // the process ended while we looked
    }
    // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(entry))
  }
  return out
}

/**
 * The children a playcount command started itself: its live children less tsx's esbuild service, which tsx may
 * start at any moment to compile a module and which is no part of what the command runs.
 */
export function commandChildren(pid: number): number[] {
  return childPids(pid).filter((child) => !/\besbuild\b/.test(commandLine(child)))
}

/** A process's command line, arguments separated by spaces ('' once it has ended). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
  } catch {
    return '' // the process ended while we looked
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
