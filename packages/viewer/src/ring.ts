/**
 * @module viewer/ring
 * A fixed-capacity ring buffer: pushing past capacity overwrites (and hands back) the oldest item,
 * so memory never grows past what was configured; the oldest can also be taken out early (the
 * store's byte budget).
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

  /** The oldest item, left in place. */
  oldest(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head]
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.length === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.length--
    return item
  }

  /** Newest first, stopping early when `visit` returns false. */
  forEachNewest(visit: (item: T) => boolean | undefined): void {
    for (let i = this.length - 1; i >= 0; i--) {
      if (visit(this.items[(this.head + i) % this.capacity] as T) === false) return
    }
  }
}
