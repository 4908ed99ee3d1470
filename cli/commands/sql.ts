import readline from 'node:readline'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { formatResult, SQL_FORMATS, type SqlFormat } from '../../batch-layer/sql/format.ts'
import { oneLine, SIZE_RULE, SQL_LIMITS, type SqlLimits } from '../../batch-layer/sql/limits.ts'
import { openSqlSession, type SqlSession } from '../../batch-layer/sql/session.ts'
import { loadConfig } from '../../shared/config.ts'
import { Errors, isPlaycountError } from '../../shared/errors.ts'
import { openLake } from '../../shared/lake.ts'

/** One line, never a stack: the person typed a query, not a program. */
function errorLine(err: unknown): string {
  const message = oneLine(err instanceof Error ? err.message : String(err))
  return isPlaycountError(err) ? `${err.code}: ${message}` : message
}

function size(flag: string) {
  return (value: string): string => {
    if (!SIZE_RULE.test(value)) throw new InvalidArgumentError(`${flag} must be a size such as 512MB, 2GB or 1.5GiB`)
    return value
  }
}

function rows(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('--max-rows must be a whole number above 0')
  return n
}

function seconds(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--timeout must be a number of seconds above 0')
  return n
}

async function interactive(session: SqlSession, format: SqlFormat): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'playcount> ' })
  console.log(
    `Read-only SQL over the lake. Views: ${session.views.join(', ')}. End a query with ';'. .tables lists the views, .exit quits.`,
  )
  let buffer = ''
  let running = false
  // In a terminal readline takes Ctrl-C itself: it stops the running statement, or at the prompt ends the session.
  rl.on('SIGINT', () => (running ? session.interrupt() : rl.close()))
  rl.prompt()
  for await (const line of rl) {
    const trimmed = line.trim()
    if (buffer === '' && (trimmed === '.exit' || trimmed === '.quit')) break
    if (buffer === '' && trimmed === '.tables') {
      console.log(session.views.join('\n'))
    } else if (trimmed !== '' || buffer !== '') {
      buffer += `${line}\n`
      if (!trimmed.endsWith(';')) {
        rl.setPrompt('      ...> ')
        rl.prompt()
        continue
      }
      running = true
      try {
        console.log(formatResult(await session.query(buffer), format))
      } catch (err) {
        console.error(errorLine(err))
      } finally {
        running = false
      }
      buffer = ''
    }
    rl.setPrompt('playcount> ')
    rl.prompt()
  }
  rl.close()
}

interface SqlOptions {
  format: SqlFormat
  memoryLimit: string
  tempLimit: string
  timeout: number
  maxRows: number
}

export function registerSql(program: Command): void {
  program
    .command('sql')
    .description(
      'read-only DuckDB SQL over the lake: views events, song_daily, artist_daily, artist_country_daily, song_device_daily, top_songs_daily, song_breakdown_daily, artist_breakdown_daily, songs, artists, listeners (no query: interactive)',
    )
    .argument('[query]', 'one SELECT / WITH / PIVOT / DESCRIBE / SHOW / SUMMARIZE / EXPLAIN statement')
    .addOption(new Option('--format <format>', 'output format').choices(SQL_FORMATS).default('table'))
    .addOption(
      new Option('--memory-limit <size>', "DuckDB's memory limit")
        .argParser(size('--memory-limit'))
        .default(SQL_LIMITS.memoryLimit),
    )
    .addOption(
      new Option('--temp-limit <size>', 'disk space a query may spill to')
        .argParser(size('--temp-limit'))
        .default(SQL_LIMITS.tempLimit),
    )
    .addOption(
      new Option('--timeout <seconds>', 'stop a statement running longer')
        .argParser(seconds)
        .default(SQL_LIMITS.timeoutMs / 1000),
    )
    .addOption(
      new Option('--max-rows <n>', 'refuse a result with more rows').argParser(rows).default(SQL_LIMITS.maxRows),
    )
    .action(async (query: string | undefined, opts: SqlOptions) => {
      const limits: SqlLimits = {
        memoryLimit: opts.memoryLimit,
        tempLimit: opts.tempLimit,
        timeoutMs: opts.timeout * 1000,
        maxRows: opts.maxRows,
      }
      let session: SqlSession | undefined
      let stopped = false
      // Ctrl-C stops the running statement, or the opening of the session, so the session still closes and deletes
      // its temp folder; a second Ctrl-C while the session opens exits at once.
      const stop = (): void => {
        if (session) session.interrupt()
        else if (stopped) process.exit(130)
        stopped = true
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      try {
        const config = loadConfig()
        const lake = openLake(config)
        try {
          session = await openSqlSession(config, lake, limits)
          if (stopped) throw new Errors.SQL_INVALID('interrupted')
          if (query === undefined) await interactive(session, opts.format)
          else console.log(formatResult(await session.query(query), opts.format))
        } finally {
          session?.close()
          lake.close()
        }
      } catch (err) {
        console.error(errorLine(err))
        process.exitCode = 1
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
    })
}
