// `node --import sightline/register app.js`: importing this module is the whole set-up.
import { register } from './register.js'

await register()
