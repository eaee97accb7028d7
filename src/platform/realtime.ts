// Live connections (console users, web-chat visitors) as Server-Sent Events streams.
// The hub only fans out: who may receive what is decided by the caller's filter.
export type LiveClient = {
  id: string;
  kind: "user" | "visitor";
  /** user id, or the visitor's contact id */
  principal: string;
  filter?: (event: string, data: unknown) => boolean;
  send: (event: string, data: unknown, id?: string) => void;
  close: () => void;
};

export class RealtimeHub {
  private clients = new Set<LiveClient>();

  add(c: LiveClient) {
    this.clients.add(c);
    return () => this.clients.delete(c);
  }

  get size() {
    return this.clients.size;
  }

  /** Sends to every client of `kind` whose principal matches `to` (or all of that kind) and whose filter accepts. */
  broadcast(kind: LiveClient["kind"], event: string, data: unknown, to?: (principal: string) => boolean, id?: string) {
    let n = 0;
    for (const c of this.clients) {
      if (c.kind !== kind) continue;
      if (to && !to(c.principal)) continue;
      if (c.filter && !c.filter(event, data)) continue;
      c.send(event, data, id);
      n++;
    }
    return n;
  }

  closeAll() {
    for (const c of this.clients) c.close();
    this.clients.clear();
  }
}

/**
 * A wait a producer can cut short, for a stream's loop ("sleep until there is something to send, or until the
 * next keep-alive"). A wake that comes while nobody waits (the loop is busy writing) is kept: the next wait returns
 * at once, so an event queued during a write is never left until the keep-alive. Its timer is cleared when woken:
 * a busy stream waits thousands of times a minute.
 */
export function waiter() {
  let wake: (() => void) | null = null;
  let pending = false;
  return {
    wake() {
      if (wake) wake();
      else pending = true;
    },
    wait(ms: number) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      });
    },
  };
}
