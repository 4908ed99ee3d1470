/**
 * What `playcount sql` lets through: one statement at a time that only reads. Two checks, both must pass — the
 * first keyword, and the statement type DuckDB's own parser assigns (so `WITH ... INSERT` or an `EXPLAIN ANALYZE`
 * of a COPY are caught). Reads outside the lake are stopped by the session's settings (session.ts), not here.
 *
 * Statements are split by DuckDB's parser (`extractStatements`), never by hand. A PIVOT without an IN list parses
 * into more than one statement: first a temporary enum of the values to pivot on, then the pivot that uses it
 * (https://duckdb.org/docs/stable/sql/statements/pivot). So a query is one statement when all its parsed
 * statements but the last are those CREATEs; they must run before the last can even be prepared, so they run here.
 * No other text passes that rule: the first keyword is a read, so the user's own first statement is never a CREATE.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api'
import { quoteLiteral } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'

const READ_KEYWORDS = new Set([
  'SELECT',
  'WITH',
  'FROM',
  'VALUES',
  'TABLE',
  'DESCRIBE',
  'DESC',
  'SHOW',
  'SUMMARIZE',
  'EXPLAIN',
  'PRAGMA',
  'PIVOT',
  'UNPIVOT',
  '(',
])

/** The statement without leading blanks and comments. */
export function stripLeadingComments(sql: string): string {
  let s = sql
  for (;;) {
    const t = s.replace(/^\s+/, '')
    if (t.startsWith('--')) s = t.includes('\n') ? t.slice(t.indexOf('\n') + 1) : ''
    else if (t.startsWith('/*')) s = t.includes('*/') ? t.slice(t.indexOf('*/') + 2) : ''
    else return t
  }
}

export function firstKeyword(sql: string): string {
  const s = stripLeadingComments(sql)
  if (s.startsWith('(')) return '('
  return (/^[A-Za-z_]+/.exec(s)?.[0] ?? '').toUpperCase()
}

/** DuckDB's parser alone (no binding): does the text hold SELECT statements only? */
async function parsesAsSelect(conn: DuckDBConnection, sql: string): Promise<boolean> {
  const r = await conn.runAndReadAll(`SELECT json_serialize_sql(${quoteLiteral(sql)})::JSON->>'error'`)
  return r.getRows()[0]?.[0] === 'false'
}

/** `sql` prepared as exactly one statement, after running the pivot enums it needs (see the header). */
async function prepareOne(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const keyword = firstKeyword(sql)
  if (!READ_KEYWORDS.has(keyword)) {
    throw new Errors.SQL_FORBIDDEN(
      `${keyword || 'an empty statement'} is not allowed: the lake is read-only here (SELECT, WITH, PIVOT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA)`,
    )
  }
  const extracted = await conn.extractStatements(sql)
  if (extracted.count === 0) throw new Errors.SQL_FORBIDDEN('an empty statement is not allowed')
  const last = extracted.count - 1
  for (let i = 0; i < last; i++) {
    const setup = await extracted.prepare(i)
    try {
      if (setup.statementType !== StatementType.CREATE)
        throw new Errors.SQL_FORBIDDEN('one statement at a time: end the query after its first statement')
      await setup.run()
    } finally {
      setup.destroySync()
    }
  }
  try {
    return await extracted.prepare(last)
  } catch (err) {
    // Preparing binds, so a write into something missing fails before its type is known: decide by the parser.
    if (keyword === 'PRAGMA' || keyword === 'EXPLAIN' || (await parsesAsSelect(conn, sql))) throw err
    throw new Errors.SQL_FORBIDDEN(`${keyword} is not a read`, { cause: err })
  }
}

async function assertReads(conn: DuckDBConnection, sql: string, type: StatementType): Promise<void> {
  if (type === StatementType.EXPLAIN) {
    // EXPLAIN ANALYZE executes its statement: the explained statement must itself be a read.
    const inner = await prepareOne(
      conn,
      stripLeadingComments(sql).replace(/^EXPLAIN\s+(ANALYZE\s+|\([^)]*\)\s*)?/i, ''),
    )
    const innerType = inner.statementType
    inner.destroySync()
    if (innerType !== StatementType.SELECT) throw new Errors.SQL_FORBIDDEN('EXPLAIN only of a SELECT')
    return
  }
  if (type !== StatementType.SELECT) {
    throw new Errors.SQL_FORBIDDEN(
      `a ${StatementType[type] ?? ''} statement is not allowed: the lake is read-only here`,
    )
  }
}

/**
 * `sql` prepared, if it is exactly one reading statement; the caller runs it and destroys it. Throws SQL_FORBIDDEN
 * otherwise. DuckDB's parse and bind errors pass through as they are.
 */
export async function prepareReadOnly(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const prepared = await prepareOne(conn, sql)
  try {
    await assertReads(conn, sql, prepared.statementType)
    return prepared
  } catch (err) {
    prepared.destroySync()
    throw err
  }
}
