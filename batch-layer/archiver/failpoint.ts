/**
 * Fault injection for the crash tests: with ARCHIVE_FAILPOINT set, the process kills itself with SIGKILL at that
 * point of a file write, exactly as a power cut would stop it (no cleanup, no flush, no commit).
 */
import type { ArchiveFailpoint, Config } from '../../shared/config.ts'
import type { Logger } from '../../shared/logger.ts'

export function failpoint(config: Readonly<Config>, at: ArchiveFailpoint, log: Logger, delayMs?: number): void {
  if (config.archive.failpoint !== at) return
  log.warn({ failpoint: at }, 'failpoint reached: SIGKILL')
  const kill = (): void => {
    process.kill(process.pid, 'SIGKILL')
  }
  if (delayMs === undefined) kill()
  else setTimeout(kill, delayMs)
}
