/** Delivery ids already handled: a replayed delivery (same X-GitHub-Delivery) does nothing. */
export class DeliveryLog {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 5000) {}

  /** True the first time an id is seen; false for a replay. */
  firstTime(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}
