/**
 * Running the tools that provision the services (go install, mvn, pip) the way a person wants to watch them: one
 * line saying what is fetched or built, how long it usually takes and where it is cached; the tool's own output in
 * a log file whose path is printed; a spinner with the elapsed time on a terminal; and, when the tool fails, the
 * last lines of that log and what to do.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { SingleBar } from 'cli-progress'
import { Errors } from '../shared/errors.ts'
import { tailFile } from './process.ts'

export interface ToolStep {
  /** What is provisioned, e.g. "MinIO" (the error names it). */
  what: string
  /** The line a person reads first, e.g. "building MinIO once (about 4 min on 2 cores)". */
  doing: string
  /** Where the result is cached. */
  cachedIn: string
  /** The tool's output goes here (overwritten on each attempt). */
  logFile: string
  /** What a person can do when it fails (which tool, which network access it needs). */
  hint: string
}

export interface ToolRun {
  cmd: string
  args: string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Where provisioning progress goes; the default writes to stderr, tests pass their own. */
export interface ProvisionReporter {
  start(step: ToolStep): void
  done(step: ToolStep, ms: number): void
  failed(step: ToolStep, ms: number): void
}

export function elapsed(ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** Lines on stderr; on a terminal a spinner with the elapsed time while the tool runs. */
export function terminalReporter(stream: NodeJS.WriteStream = process.stderr): ProvisionReporter {
  let bar: SingleBar | undefined
  let timer: NodeJS.Timeout | undefined
  const stopSpinner = (): void => {
    if (timer) clearInterval(timer)
    bar?.stop()
    bar = undefined
    timer = undefined
  }
  return {
    start(step) {
      stream.write(`${step.doing}, cached in ${step.cachedIn}\n  output: ${step.logFile}\n`)
      if (!stream.isTTY) return
      const t0 = Date.now()
      let frame = 0
      bar = new SingleBar({
        format: '  {spinner} {what}: {elapsed}',
        stream,
        clearOnComplete: true,
        hideCursor: true,
        noTTYOutput: false,
      })
      bar.start(1, 0, { spinner: FRAMES[0], what: step.what, elapsed: '0 s' })
      timer = setInterval(
        () => bar?.update({ spinner: FRAMES[++frame % FRAMES.length], elapsed: elapsed(Date.now() - t0) }),
        100,
      )
    },
    done(step, ms) {
      stopSpinner()
      stream.write(`  ✓ ${step.what} ready in ${elapsed(ms)}\n`)
    },
    failed(step, ms) {
      stopSpinner()
      stream.write(`  ✗ ${step.what} failed after ${elapsed(ms)}\n`)
    },
  }
}

/** Runs the tool commands of one step in order, their output in the step's log file. */
export async function runTool(step: ToolStep, runs: ToolRun[], reporter: ProvisionReporter): Promise<void> {
  fs.mkdirSync(path.dirname(step.logFile), { recursive: true })
  fs.writeFileSync(step.logFile, '')
  const t0 = Date.now()
  reporter.start(step)
  try {
    for (const run of runs) await runOne(run, step.logFile)
  } catch (err) {
    reporter.failed(step, Date.now() - t0)
    throw new Errors.SERVICE_FETCH_FAILED(
      step.what,
      `${(err as Error).message}. Last lines of ${step.logFile}:\n` +
        `${tailFile(step.logFile, 15)}\nWhat to do: ${step.hint}; then run \`playcount services provision\` again.`,
      { cause: err },
    )
  }
  reporter.done(step, Date.now() - t0)
}

async function runOne(run: ToolRun, logFile: string): Promise<void> {
  fs.appendFileSync(logFile, `$ ${run.cmd} ${run.args.join(' ')}\n`)
  const out = fs.openSync(logFile, 'a')
  try {
    const child = spawn(run.cmd, run.args, {
      stdio: ['ignore', out, out],
      env: { ...process.env, ...run.env },
      cwd: run.cwd,
    })
    // once() rejects with the child's 'error' event: the command could not be started (not installed, ...).
    const [code, signal] = await (once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>).catch(
      (err: unknown) => {
        throw new Error(`could not run ${run.cmd}: ${(err as Error).message}`)
      },
    )
    if (code !== 0) throw new Error(`${run.cmd} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`)
  } finally {
    fs.closeSync(out)
  }
}
