export {
  keepNestError,
  SightlineErrorInterceptor,
  SightlineExceptionFilter,
} from './errors.js'
export { type NestSightlineOptions, SightlineModule, SightlineNestBinding } from './module.js'
