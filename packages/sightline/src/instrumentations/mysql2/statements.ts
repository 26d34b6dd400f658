/**
 * @module instrumentations/mysql2/statements
 * The statement of a MySQL query text: its literals replaced by `?` (mysql2's `query()` formats
 * values into the SQL client-side, and an app may inline them itself, so the text as sent may carry
 * them), then its operation and table as pg's parser reads them. Cached per text, per instrumented
 * pool or connection, bounded: inline values make every text new.
 */
import { MAX_QUERY_TEXT, parseStatement, type Statement } from '../pg/sql.js'

/**
 * A backquoted identifier (kept), or a literal: a hex or bit string, a quoted string (MySQL's
 * double quotes are strings unless ANSI_QUOTES; either way a value may be in them), a hex number,
 * a decimal number not part of an identifier.
 */
const TOKENS =
  /`(?:[^`]|``)*`|\b[xXbB]'[^']*'|'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"|\b0[xX][0-9a-fA-F]+\b|(?<![\w$])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g

/** MySQL statements pg's list does not have, named rather than `_OTHER`. */
const MYSQL_OPERATIONS = new Set(['REPLACE', 'CALL', 'USE', 'DESCRIBE', 'EXPLAIN', 'LOCK', 'UNLOCK', 'START', 'DO'])
const FIRST_WORD = /^\s*([A-Za-z]+)/
const MAX_CACHED = 1000

/**
 * `text` with every literal value replaced by `?`; identifiers, keywords and placeholders kept.
 * A quote left after that opens a literal that never closes (a cut text): cut there too.
 */
export function withoutLiterals(text: string): string {
  const out = text.replace(TOKENS, (token) => (token.charCodeAt(0) === 96 /* ` */ ? token : '?'))
  const open = out.search(/['"]/)
  return open === -1 ? out : `${out.slice(0, open)}…`
}

/** Statements of one instrumented pool or connection, by the text given and by the text recorded. */
export class Statements {
  private readonly byText = new Map<string, Statement>()
  private readonly bySanitized = new Map<string, Statement>()

  /** Bound, so that it can be handed to QueryRecorder as its parser. */
  readonly parse = (text: string): Statement => {
    let statement = this.byText.get(text)
    if (statement !== undefined) return statement
    const sanitized = withoutLiterals(text.length > MAX_QUERY_TEXT * 2 ? text.slice(0, MAX_QUERY_TEXT * 2) : text)
    statement = this.bySanitized.get(sanitized)
    if (statement === undefined) {
      // pg's parser reads double-quoted identifiers; MySQL's are backquoted.
      const parsed = parseStatement(sanitized.replaceAll('`', '"'))
      const word = FIRST_WORD.exec(sanitized)?.[1]?.toUpperCase()
      statement = {
        operation:
          parsed.operation === '_OTHER' && word !== undefined && MYSQL_OPERATIONS.has(word) ? word : parsed.operation,
        collection: parsed.collection,
        text: sanitized.length > MAX_QUERY_TEXT ? `${sanitized.slice(0, MAX_QUERY_TEXT)}…` : sanitized,
        series: new Map(),
      }
      if (this.bySanitized.size < MAX_CACHED) this.bySanitized.set(sanitized, statement)
    }
    if (this.byText.size < MAX_CACHED) this.byText.set(text, statement)
    return statement
  }
}
