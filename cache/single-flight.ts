/**
 * In-process single flight: concurrent callers asking for the same key while a load is running get
 * that load's promise instead of starting their own. The entry is removed as soon as the load
 * settles, so a later caller starts a fresh load (nothing is cached here).
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** Callers that joined a running load instead of starting one. */
  joined = 0;

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) {
      this.joined += 1;
      return running as Promise<T>;
    }
    const started: Promise<T> = (async () => work())().finally(() => {
      if (this.inFlight.get(key) === started) this.inFlight.delete(key);
    });
    this.inFlight.set(key, started);
    return started;
  }
}
