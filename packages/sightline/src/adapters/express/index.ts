export { type ExpressSightlineOptions, expressRoute, sightlineExpress, sightlineExpressErrors } from './express.js'
