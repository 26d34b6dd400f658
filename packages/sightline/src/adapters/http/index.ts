export { type HttpAdapterOptions, instrumentServer, wrapListener } from './http.js'
export { compileRoutes } from './route-matcher.js'
