// A Server-Sent Events stream read by a test: its events as they come, a wait for one, and a stop.

/** Reads an SSE response into events ({event, data}) until stopped. */
export function readEvents(res: Response) {
  const events: { event: string; data: string }[] = [];
  const reader = res.body!.getReader();
  let buf = "";
  let stopped = false;
  const pump = (async () => {
    const dec = new TextDecoder();
    while (!stopped) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) ev.event = line.slice(6).trim();
          else if (line.startsWith("data:")) ev.data += line.slice(5).trim();
        }
        events.push(ev);
      }
    }
  })();
  return {
    events,
    async until(pred: (e: typeof events) => boolean, ms = 5000) {
      const end = Date.now() + ms;
      while (!pred(events)) {
        if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(events)}`);
        await Bun.sleep(10);
      }
      return events;
    },
    stop() {
      stopped = true;
      void reader.cancel().catch(() => {});
      void pump;
    },
  };
}
