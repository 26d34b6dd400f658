/**
 * @module doctor-api/storage/cache
 * The cache behind doctor-api: one small interface, an in-memory implementation by default.
 */

export interface Cache {
  /** `cache_system` in telemetry. */
  readonly system: string
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlSeconds: number): Promise<void>
  del(key: string): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

/** A bounded in-memory cache with TTLs; the oldest entry goes first when it is full. */
export class MemoryCache implements Cache {
  readonly system = 'memory'
  private readonly entries = new Map<string, { value: string; expires: number }>()
  private readonly maxEntries: number

  constructor(maxEntries = 10000) {
    this.maxEntries = maxEntries
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expires <= Date.now()) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 })
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key)
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear()
  }
}
