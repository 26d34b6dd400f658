/**
 * @module instrumentations/node-redis/commands
 * The command names one node-redis client knows, read once from its class: a method named in
 * capitals is a command (`GET`, `CLIENT_SETNAME`, `GEORADIUS_RO`), sent under its name or, for a
 * variant of a command, the part before the first `_` (`ZRANGE_WITHSCORES` sends `ZRANGE`), so both
 * are kept. Module commands sit in namespaces (`client.json.SET` sends `JSON.SET`). Nothing here
 * runs per command.
 */

const COMMAND = /^[A-Z][A-Z0-9_]*$/

/** Every name `client`'s commands may be sent under. */
export function commandNames(client: object): Set<string> {
  const names = new Set<string>()
  for (let proto = Object.getPrototypeOf(client); proto !== null && proto !== Object.prototype; ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key)
      if (COMMAND.test(key)) {
        if (typeof descriptor?.value === 'function') add(names, '', key)
      } else if (descriptor?.get !== undefined && /^[a-z][A-Za-z]*$/.test(key)) {
        addNamespace(names, client, key)
      }
    }
    proto = Object.getPrototypeOf(proto)
  }
  return names
}

function add(names: Set<string>, prefix: string, key: string): void {
  names.add(prefix + key)
  const cut = key.indexOf('_')
  if (cut > 0) names.add(prefix + key.slice(0, cut))
}

/** A module's commands: `json` holds `SET`, sent as `JSON.SET`; `topK` holds `ADD`, sent as `TOPK.ADD`. */
function addNamespace(names: Set<string>, client: object, key: string): void {
  let namespace: unknown
  try {
    namespace = (client as Record<string, unknown>)[key]
  } catch {
    return
  }
  if (typeof namespace !== 'object' || namespace === null) return
  const commands = Object.getPrototypeOf(namespace) as object | null
  if (commands === null || commands === Object.prototype) return
  const prefix = `${key.toUpperCase()}.`
  for (const name of Object.keys(commands)) {
    if (COMMAND.test(name) && typeof (commands as Record<string, unknown>)[name] === 'function')
      add(names, prefix, name)
  }
}
