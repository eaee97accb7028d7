// A small structured logger: one JSON line per record on stderr, so a service manager's journal keeps it.
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

export function createLogger(
  level: LogLevel = "info",
  sink: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Logger {
  const min = order[level];
  const log = (lvl: LogLevel) => (msg: string, data?: Record<string, unknown>) => {
    if (order[lvl] < min) return;
    sink(JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...data }));
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}
