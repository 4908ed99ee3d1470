/**
 * What `playcount sql` lets through: one statement at a time that only reads. Two checks, both must pass — the
 * first keyword, and the statement type DuckDB's own parser assigns (so `WITH ... INSERT` or an `EXPLAIN ANALYZE`
 * of a COPY are caught). Reads outside the lake are stopped by the session's settings (session.ts), not here.
 */
import { StatementType, type DuckDBConnection } from '@duckdb/node-api'
import { quoteLiteral } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'DESCRIBE', 'DESC', 'SHOW', 'SUMMARIZE', 'EXPLAIN',
  'PRAGMA', 'PIVOT', 'UNPIVOT', '('])

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

async function statementTypes(conn: DuckDBConnection, sql: string): Promise<StatementType[]> {
  const extracted = await conn.extractStatements(sql)
  if (extracted.count !== 1) throw new Errors.SQL_FORBIDDEN(`one statement at a time, got ${extracted.count}`)
  let prepared
  try {
    prepared = await extracted.prepare(0)
  } catch (err) {
    // Preparing binds, so a write into something missing fails before its type is known: decide by the parser.
    const keyword = firstKeyword(sql)
    if (keyword === 'PRAGMA' || keyword === 'EXPLAIN' || (await parsesAsSelect(conn, sql))) throw err
    throw new Errors.SQL_FORBIDDEN(`${keyword} is not a read`, { cause: err })
  }
  try {
    return [prepared.statementType]
  } finally {
    prepared.destroySync()
  }
}

/** Throws SQL_FORBIDDEN unless `sql` is exactly one reading statement. DuckDB's parse errors pass through as they are. */
export async function assertReadOnly(conn: DuckDBConnection, sql: string): Promise<void> {
  const keyword = firstKeyword(sql)
  if (!READ_KEYWORDS.has(keyword)) {
    throw new Errors.SQL_FORBIDDEN(`${keyword || 'an empty statement'} is not allowed: the lake is read-only here (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA)`)
  }
  const [type] = await statementTypes(conn, sql)
  if (type === StatementType.EXPLAIN) {
    // EXPLAIN ANALYZE executes its statement: the explained statement must itself be a read.
    const inner = stripLeadingComments(sql).replace(/^EXPLAIN\s+(ANALYZE\s+|\([^)]*\)\s*)?/i, '')
    const [innerType] = await statementTypes(conn, inner)
    if (innerType !== StatementType.SELECT) throw new Errors.SQL_FORBIDDEN('EXPLAIN only of a SELECT')
    return
  }
  if (type !== StatementType.SELECT) {
    throw new Errors.SQL_FORBIDDEN(`a ${type === undefined ? '' : StatementType[type]} statement is not allowed: the lake is read-only here`)
  }
}
