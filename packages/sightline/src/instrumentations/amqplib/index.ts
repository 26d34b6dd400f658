export {
  type AmqplibChannel,
  type AmqplibConnection,
  type AmqplibInstrumentationOptions,
  type AmqplibMessage,
  instrumentAmqplib,
} from './instrument.js'
