export { mysqlCheck } from './check.js'
export type { Mysql2CoreConnection } from './connection.js'
export { MYSQL_ERRORS } from './errors.js'
export {
  instrumentMysql2,
  type Mysql2Cluster,
  type Mysql2InstrumentationOptions,
  type Mysql2Queryable,
} from './instrument.js'
export type { Mysql2CorePool } from './pool.js'
export { withoutLiterals } from './statements.js'
