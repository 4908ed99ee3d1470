/** Role processes for the end-to-end suites: each role is a real `playcount start <role>` child process. */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'playcount.js')

export class RoleProcess {
  private child: ChildProcess | undefined
  restarts = 0

  constructor(
    readonly role: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  start(): void {
    const log = fs.openSync(path.join(this.logDir, `${this.role}.log`), 'a')
    this.child = spawn(process.execPath, [bin, 'start', this.role], {
      env: { ...process.env, ...this.env, PORT: String(this.port), LOG_LEVEL: 'info' },
      stdio: ['ignore', log, log],
    })
    fs.closeSync(log)
  }

  /** kill -9, as a crash would. */
  async kill(): Promise<void> {
    const c = this.child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((r) => c.once('exit', r))
    c.kill('SIGKILL')
    await exited
  }

  /** A clean stop (SIGTERM), as an operator would. */
  async stop(): Promise<void> {
    const c = this.child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((r) => c.once('exit', r))
    c.kill('SIGTERM')
    const timer = setTimeout(() => c.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(timer)
  }

  async crashAndRestart(): Promise<void> {
    await this.kill()
    this.restarts++
    this.start()
  }

  /** Waits until the process answers /readyz with 200. */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const ok = await fetch(`${this.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return
      if (Date.now() > deadline)
        throw new Error(`${this.role} not ready after ${timeoutMs} ms (see ${this.logDir}/${this.role}.log)`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/** Runs a playcount command to completion; rejects on a non-zero exit. */
export function runCli(args: string[], env: Record<string, string>, logDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(path.join(logDir, `cli-${args[0]}.log`), 'a')
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
    })
    fs.closeSync(log)
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`playcount ${args.join(' ')} exited ${code} (see ${logDir})`)),
    )
  })
}
