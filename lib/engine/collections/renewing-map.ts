/**
 * Map and Set for tables with constant churn (an entry per transaction, added and deleted within milliseconds).
 *
 * Why: V8 rehashes a Map's or Set's table every few additions once deletions have left holes, and each replaced
 * table keeps a pointer to its successor and the entries it held. When one table of the chain has been promoted to
 * the old generation (a quiet moment is enough), every scavenge treats it as a root: all later tables, every
 * entry they ever held (transactions with their requests and responses) survive and are promoted, and die only in
 * the next full GC. In the engine that was a quarter of everything allocated per request, and 10-20 ms scavenges.
 * Starting a fresh Map after as many deletions as the table could have rehashed over ends such a chain: nothing
 * new is linked to the old one.
 *
 * The fresh table is made when a new key is added, never while deleting, so a loop that deletes entries while
 * iterating sees the Map it started with.
 */

/** Deletions after which the next addition starts a fresh table (at least; more for a large table). */
const MIN_DELETES_PER_RENEWAL = 256;
/**
 * Larger tables are not renewed. A table of thousands of live entries is rehashed only every few thousand
 * operations, and no chain was seen with 2,000 or more entries; copying one would stall the thread instead.
 */
const MAX_RENEWED_SIZE = 4096;

function renewalDue(deletes: number, size: number): boolean {
  // Copying costs the table's size: renew after at least twice that many deletions, so it stays O(1) per op.
  return deletes >= MIN_DELETES_PER_RENEWAL && deletes >= 2 * size && size <= MAX_RENEWED_SIZE;
}

export class RenewingMap<K, V> implements Iterable<[K, V]> {
  private map = new Map<K, V>();
  private deletes = 0;

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    if (renewalDue(this.deletes, this.map.size) && !this.map.has(key)) {
      this.map = new Map(this.map);
      this.deletes = 0;
    }
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (!this.map.delete(key)) return false;
    this.deletes++;
    return true;
  }

  clear(): void {
    this.map = new Map();
    this.deletes = 0;
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}

/** The Set counterpart of RenewingMap (same reason, same rule). */
export class RenewingSet<T> implements Iterable<T> {
  private set = new Set<T>();
  private deletes = 0;

  get size(): number {
    return this.set.size;
  }

  has(value: T): boolean {
    return this.set.has(value);
  }

  add(value: T): this {
    if (renewalDue(this.deletes, this.set.size) && !this.set.has(value)) {
      this.set = new Set(this.set);
      this.deletes = 0;
    }
    this.set.add(value);
    return this;
  }

  delete(value: T): boolean {
    if (!this.set.delete(value)) return false;
    this.deletes++;
    return true;
  }

  clear(): void {
    this.set = new Set();
    this.deletes = 0;
  }

  values(): IterableIterator<T> {
    return this.set.values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.set.values();
  }
}
