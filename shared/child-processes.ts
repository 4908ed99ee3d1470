/**
 * Child processes that must not outlive the process that started them: the batch's DuckDB shards and the Spark
 * driver JVM. A `kill <pid>` (SIGTERM) or Ctrl-C of a batch run, or its `process.exit`, would otherwise leave them
 * running: they sit in their own processes, writing staging files of a run nobody waits for and holding cores.
 *
 * On SIGINT/SIGTERM the children get SIGTERM first (the Spark driver's shutdown hook stops its executors). If
 * nothing else listens for that signal, this process then ends the way it would have without this module (the
 * signal's default action); a command that stops itself on the signal (cli/shutdown.ts) keeps doing so, and its
 * `process.exit` reaches the `exit` hook below.
 */
import type { ChildProcess } from 'node:child_process'

const live = new Set<ChildProcess>()
const SIGNALS = ['SIGINT', 'SIGTERM'] as const
let installed = false

function stopAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
}

function onSignal(signal: NodeJS.Signals): void {
  stopAll()
  // Alone on this signal: give it back its default action (end this process), as if this module did not listen.
  if (process.listenerCount(signal) === 1) {
    for (const s of SIGNALS) process.off(s, onSignal)
    process.kill(process.pid, signal)
  }
}

/** Registers `child` to be stopped with this process; returns it. */
export function stopWithThisProcess<T extends ChildProcess>(child: T): T {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!installed) {
    installed = true
    for (const s of SIGNALS) process.on(s, onSignal)
    process.on('exit', stopAll)
  }
  return child
}
