// The flow editor's kinds of step, in the order the "add a step" menu offers them: shared by the editor island and
// the page that sends it its texts (one list, so a new kind of step cannot be offered without its name).
export const STEP_TYPES = [
  "message",
  "ask",
  "condition",
  "set",
  "http",
  "catalog",
  "slots",
  "options",
  "cart_add",
  "cart",
  "checkout",
  "agent",
  "handoff",
  "ticket",
  "wait",
  "goto",
  "end",
] as const;
