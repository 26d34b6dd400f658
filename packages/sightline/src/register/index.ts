// `node --import sightline/register app.js`: importing this module is the whole set-up.
import { isMainThread } from 'node:worker_threads'
import { register } from './register.js'

// Only the application's main thread: with NODE_OPTIONS='--import sightline/register' (how Docker
// and Kubernetes set it) every worker thread imports this module too — Sightline's own export
// worker among them, which would start a launcher, and an export worker, of its own, without end.
if (isMainThread) await register()
