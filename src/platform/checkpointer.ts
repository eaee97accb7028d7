// The WAL checkpointer, run in a Worker thread with its own connection to the database.
// A checkpoint copies committed pages from the WAL into the database file and syncs it: tens of milliseconds
// that, run by the writer itself, would stall every request behind it. Here it runs beside the writer on the
// other core. PASSIVE never blocks the writer or readers; it copies what it can and the next tick goes on.
import LibsqlDatabase from "libsql";

declare const self: Worker;

let db: InstanceType<typeof LibsqlDatabase> | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

function checkpoint() {
  if (!db) return;
  try {
    const r = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as { busy: number; log: number; checkpointed: number };
    postMessage({ type: "checkpointed", frames: r.log, copied: r.checkpointed });
  } catch (e) {
    postMessage({ type: "error", message: String(e) });
  }
}

self.onmessage = (e: MessageEvent<{ type: "start"; path: string; everyMs: number } | { type: "stop" }>) => {
  const m = e.data;
  if (m.type === "start") {
    db = new LibsqlDatabase(m.path, { timeout: 5000 } as never);
    db.exec("PRAGMA synchronous=NORMAL");
    timer = setInterval(checkpoint, m.everyMs);
    postMessage({ type: "started" });
  } else {
    if (timer) clearInterval(timer);
    checkpoint();
    db?.close();
    db = null;
    postMessage({ type: "stopped" });
  }
};
