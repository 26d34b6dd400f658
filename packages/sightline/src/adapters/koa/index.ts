export { type KoaContextLike, type KoaSightlineOptions, koaRoute, sightlineKoa } from './koa.js'
