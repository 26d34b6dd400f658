export {
  instrumentNats,
  type NatsConnection,
  type NatsHeaders,
  type NatsInstrumentationOptions,
  type NatsMessage,
} from './instrument.js'
