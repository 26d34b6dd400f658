/**
 * @module options
 * `sightline/options`: how Sightline's packages read their options (code over environment over
 * default, a coded `SightlineOptionError` for a wrong value), for the viewer and for tools built
 * on Sightline that want their options read the same way. Re-exports only.
 */
export {
  type IntegerBounds,
  readBoolean,
  readInteger,
  readOptionalInteger,
  readPath,
  readString,
  readStringList,
} from './core/option-readers.js'
