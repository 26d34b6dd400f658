/**
 * @module viewer/ring
 * A fixed-capacity ring buffer: pushing past capacity overwrites (and hands back) the oldest item,
 * so memory never grows past what was configured.
 */

/**
 * @example
 * const ring = new Ring<number>(2); ring.push(1); ring.push(2); ring.push(3) // returns 1
 */
export class Ring<T> {
  private readonly items: (T | undefined)[]
  private head = 0
  private length = 0

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity)
  }

  get size(): number {
    return this.length
  }

  /** Adds an item; returns the one it evicted, if the ring was full. */
  push(item: T): T | undefined {
    const index = (this.head + this.length) % this.capacity
    if (this.length < this.capacity) {
      this.items[index] = item
      this.length++
      return undefined
    }
    const evicted = this.items[this.head]
    this.items[this.head] = item
    this.head = (this.head + 1) % this.capacity
    return evicted
  }

  /** Newest first, stopping early when `visit` returns false. */
  forEachNewest(visit: (item: T) => boolean | undefined): void {
    for (let i = this.length - 1; i >= 0; i--) {
      if (visit(this.items[(this.head + i) % this.capacity] as T) === false) return
    }
  }
}
