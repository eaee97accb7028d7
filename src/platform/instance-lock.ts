// One server per data dir: `serve` holds digybot.pid in the data dir while it runs (created with O_EXCL, so two
// starting at once cannot both win). A file left by a process that is gone (kill -9, a power cut) is taken over.
import { openSync, writeSync, closeSync, readFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";

export class InstanceLockedError extends Error {
  constructor(
    readonly pid: number,
    readonly startedAt: number,
    readonly dataDir: string,
  ) {
    super(
      `another DigyBot (pid ${pid}, started ${new Date(startedAt).toISOString().replace("T", " ").slice(0, 16)} UTC) is serving the data dir ${dataDir}: stop it first, or use another --data-dir`,
    );
  }
}

type Holder = { pid: number; startedAt: number };

function alive(pid: number) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // a recycled pid (after a reboot) is some other program: on Linux its command line says so
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline)) {
    try {
      return /digybot|main\.ts/i.test(readFileSync(cmdline, "utf8"));
    } catch {
      return true;
    }
  }
  return true;
}

/** Takes the data dir for this process, or throws InstanceLockedError naming the one that has it. */
export function acquireInstanceLock(dataDir: string): { release(): void } {
  const file = join(dataDir, "digybot.pid");
  const me: Holder = { pid: process.pid, startedAt: Date.now() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if ((JSON.parse(readFileSync(file, "utf8")) as Holder).pid === process.pid) rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return { release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: Holder | null = null;
      try {
        holder = JSON.parse(readFileSync(file, "utf8")) as Holder;
      } catch {
        /* unreadable: treat as stale */
      }
      if (holder && holder.pid !== process.pid && alive(holder.pid))
        throw new InstanceLockedError(holder.pid, holder.startedAt, dataDir);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not take ${file}`);
}

/** Who holds the data dir, if a live server does (for commands that must not run beside one). */
export function instanceHolder(dataDir: string): Holder | null {
  try {
    const holder = JSON.parse(readFileSync(join(dataDir, "digybot.pid"), "utf8")) as Holder;
    return holder.pid !== process.pid && alive(holder.pid) ? holder : null;
  } catch {
    return null;
  }
}
