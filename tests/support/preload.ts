// Loaded before every test file (bunfig.toml).
import { setDefaultTimeout } from "bun:test";
// Browser and compiled-binary tests take seconds, not milliseconds.
setDefaultTimeout(60_000);
// Times render in a fixed zone, so expectations do not depend on the machine's.
process.env.TZ = "UTC";
// The CLI speaks the system's language; tests that read its English words get English wherever they run (a test
// of the Spanish CLI sets its own environment).
process.env.DIGYBOT_LANG = "en";
