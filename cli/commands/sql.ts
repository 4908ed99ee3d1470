import readline from 'node:readline'
import { Option, type Command } from 'commander'
import { formatResult, SQL_FORMATS, type SqlFormat } from '../../batch-layer/sql/format.ts'
import { openSqlSession, type SqlSession } from '../../batch-layer/sql/session.ts'
import { loadConfig } from '../../shared/config.ts'
import { isPlaycountError } from '../../shared/errors.ts'
import { openLake } from '../../shared/lake.ts'

async function interactive(session: SqlSession, format: SqlFormat): Promise<void> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'playcount> ' })
  console.log(`Read-only SQL over the lake. Views: ${session.views.join(', ')}. End a query with ';'. .tables lists the views, .exit quits.`)
  let buffer = ''
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
      try {
        console.log(formatResult(await session.query(buffer), format))
      } catch (err) {
        console.error(isPlaycountError(err) ? `${err.code}: ${err.message}` : (err as Error).message)
      }
      buffer = ''
    }
    rl.setPrompt('playcount> ')
    rl.prompt()
  }
  rl.close()
}

export function registerSql(program: Command): void {
  program.command('sql')
    .description('read-only DuckDB SQL over the lake: views events, song_daily, artist_daily, artist_country_daily, song_device_daily, top_songs_daily, songs, artists (no query: interactive)')
    .argument('[query]', 'one SELECT / WITH / DESCRIBE / SHOW / SUMMARIZE / EXPLAIN statement')
    .addOption(new Option('--format <format>', 'output format').choices(SQL_FORMATS).default('table'))
    .action(async (query: string | undefined, opts: { format: SqlFormat }) => {
      const config = loadConfig()
      const lake = openLake(config)
      const session = await openSqlSession(config, lake)
      try {
        if (query === undefined) await interactive(session, opts.format)
        else console.log(formatResult(await session.query(query), opts.format))
      } finally {
        session.close()
        lake.close()
      }
    })
}
