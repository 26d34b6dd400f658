// @module bench/servers/exit-on-signal
// Preloaded by bench/profile.mjs: a normal exit on SIGTERM, so --cpu-prof writes its profile.
process.once('SIGTERM', () => process.exit(0))
