/**
 * @module instrumentations/pg/sql
 * Operation and table of a SQL statement, parsed cheaply and cached per statement text (bounded),
 * so labels stay bounded and no value ever reaches telemetry.
 */

const OPERATIONS = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'WITH',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'CREATE',
  'ALTER',
  'DROP',
  'TRUNCATE',
  'COPY',
  'SET',
  'SHOW',
  'LISTEN',
  'NOTIFY',
  'VACUUM',
  'ANALYZE',
])
const FIRST_WORD = /^\s*([A-Za-z]+)/
const TABLE =
  /\b(?:from|into|update|table)\s+(?:only\s+|if\s+(?:not\s+)?exists\s+)?("?[A-Za-z_][\w$]*"?(?:\."?[A-Za-z_][\w$]*"?)?)/i
const MAX_CACHED = 1000
/** Longest statement text put on a span or a slow-query line. */
export const MAX_QUERY_TEXT = 2048

export interface Statement {
  operation: string
  collection: string | undefined
  /** The parameterised text, cut to MAX_QUERY_TEXT. */
  text: string
  /** Metric series per error type ('' for success), filled by the instrumentation. */
  series: Map<string, unknown>
}

const cache = new Map<string, Statement>()

export function parseStatement(text: string): Statement {
  let statement = cache.get(text)
  if (statement !== undefined) return statement
  const word = FIRST_WORD.exec(text)?.[1]?.toUpperCase()
  const operation = word !== undefined && OPERATIONS.has(word) ? word : '_OTHER'
  const table = TABLE.exec(text)?.[1]?.replaceAll('"', '')
  statement = {
    operation,
    collection: table !== undefined && table.length <= 64 ? table.toLowerCase() : undefined,
    text: text.length > MAX_QUERY_TEXT ? `${text.slice(0, MAX_QUERY_TEXT)}…` : text,
    series: new Map(),
  }
  // Statements are normally a fixed set; an app that builds SQL with values inline would grow this forever.
  if (cache.size < MAX_CACHED) cache.set(text, statement)
  return statement
}
