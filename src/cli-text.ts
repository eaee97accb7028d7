// What the command line says, in Spanish when the system's locale is Spanish (LC_ALL, LC_MESSAGES or LANG starting
// with "es"; DIGYBOT_LANG=es|en overrides), in English otherwise. Keys and placeholders are the same in both.
import { VERSION } from "./version.ts";

export type CliLocale = "es" | "en";

export function cliLocale(env: Record<string, string | undefined> = process.env): CliLocale {
  const forced = env.DIGYBOT_LANG?.toLowerCase();
  if (forced === "es" || forced === "en") return forced;
  const sys = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return /^es([_.@-]|$)/i.test(sys) ? "es" : "en";
}

const en = {
  help: `DigyBot ${VERSION} — conversational commerce on your own machine

Usage: digybot <command> [options]

Commands:
  serve [--demo]          start the server (console, web chat, API); --demo seeds a demo restaurant on an empty database
  migrate                 apply pending database migrations (a backup is taken first) and exit
  backup FILE             write a consistent online copy of the database to FILE
  restore FILE            verify FILE, then replace the database with it (stop the server first)
  admin create            create a user: --email E --name N --password P [--role admin|supervisor|agent]
  doctor                  check the data dir, the database, disk space, the LLM server and the channels
  whatsapp pair NAME      pair a WhatsApp number by QR in this terminal (for headless installs; stop the server
                          first): creates the QR connection NAME if needed; --phone N pairs by code instead
  agent eval FILE.jsonl   replay written conversations through an AI agent (nothing is sent) and report resolution,
                          hand-off precision/recall, intent accuracy, grounding failures and latency; --agent NAME
                          picks the agent, --json prints JSON
  version                 print the version

Options (each also as DIGYBOT_<NAME> in the environment or <name> in config/digybot.toml):
  --host H                address to listen on (default 127.0.0.1)
  --port N                port (default 3000)
  --data-dir DIR          where the database and files live (default ./digybot-data)
  --public-url URL        the address customers use to reach this server (for the widget snippet)
  --log-level L           debug | info | warn | error | silent
  --config FILE           configuration file (default config/digybot.toml)

Messages are in Spanish when the system's locale is Spanish (LANG=es_…); DIGYBOT_LANG=en|es picks one.
`,
  badArgs: "{error}\nRun 'digybot --help' for the options.",
  unknownCommand: "unknown command '{cmd}'. Run 'digybot --help'.",
  "config.toml": "config: {file} is not valid TOML: {detail}",
  "config.unknownKey": "config: unknown key `{key}` (from {source})",
  "config.invalid": "config: invalid value for `{key}` (from {source}): {problem}",
  "config.default": "default",
  "problem.number": "must be a number",
  "problem.min": "must be at least {n}",
  "problem.max": "must be at most {n}",
  "problem.oneOf": "must be one of: {values}",
  "problem.url": "must be a URL (http:// or https://)",
  "problem.boolean": "must be true or false",
  locked:
    "another DigyBot (pid {pid}, started {at} UTC) is serving the data dir {dir}: stop it first, or use another --data-dir",
  lockedRestore:
    "another DigyBot (pid {pid}, started {at} UTC) is serving the data dir {dir}: stop it before restoring",
  lockedPair:
    "another DigyBot (pid {pid}, started {at} UTC) is serving the data dir {dir}: stop it before pairing in the terminal",
  "demo.notEmpty":
    "--demo seeds an empty data dir, and {dir} already has {users}: start without --demo, or give --demo another --data-dir",
  "users.one": "{n} user",
  "users.other": "{n} users",
  listening: "DigyBot {version} listening on {url}\nConsole: {console}\nData: {dir}\n",
  firstRun: "{url}/setup (first run: create your business and administrator)",
  demoLogin: "Demo: log in as {email} / {password} (agents: {agents}, same password)\n",
  migrated: "applied: {list}",
  migratedBackup: "backup: {file}",
  upToDate: "database is up to date\n",
  migrationFailed: "the database migration failed: {detail}",
  backupNeedsFile: "backup needs a target FILE: digybot backup FILE",
  noDatabase: "no database at {file}",
  backupUnverified: "backup written but failed verification: {reason}",
  backupDone:
    "backup written to {file} (database and {files} attachments; secrets stay sealed: keep the key file {key} apart from it)\n",
  restoreNeedsFile: "restore needs a backup FILE: digybot restore FILE",
  restored: "restored {file} into {db} with {files} attachments",
  restoredPrevious: "previous database kept at {file}",
  adminUsage: "usage: digybot admin create --email E --name N --password P [--role admin|supervisor|agent]",
  adminNeeds: "admin create needs --email and --password",
  created: "created {role} {email}\n",
  "role.admin": "administrator",
  "role.agent": "agent",
  "role.supervisor": "supervisor",
  pairUsage: "usage: digybot whatsapp pair NAME [--phone +52…]",
  evalUsage: "usage: digybot agent eval FILE.jsonl [--agent NAME] [--json]",
  noSuchFile: "no such file: {file}",
  noDatabaseYet: "no database at {file}: run 'digybot serve' and set up the business first",
  noAgentNamed: "no agent named {name} (agents: {list})",
  noAgentYet: "there is no AI agent yet: create one in Settings → AI agents",
  none: "none",
  agentLine: "agent: {name}\n",
  "qr.created": 'created the WhatsApp connection "{name}"\n',
  "qr.timeout": "timed out waiting for the pairing\n",
  "qr.scan": "\nScan with WhatsApp → Linked devices → Link a device:\n{art}\n",
  "qr.unreachable": "WhatsApp is not reachable ({error}); trying again…\n",
  "qr.paired": "paired: {me}; start the server with 'digybot serve'\n",
  "qr.connected": "connected",
  "qr.notPaired": "not paired: {reason}\n",
  "qr.code": "Type this code in WhatsApp → Linked devices → Link with phone number: {code}\n",
  "doctor.dataDir": "data dir",
  "doctor.disk": "disk",
  "doctor.free": "{n} GiB free",
  "doctor.key": "secret key",
  "doctor.keyMissing": "{file} missing: secrets in the database cannot be read",
  "doctor.keyLater": "{file} missing; created at first start",
  "doctor.keyMode": "{file} (mode {mode})",
  "doctor.keyOpen": "{file} (mode {mode}, readable by others: chmod 600)",
  "doctor.permissions": "permissions",
  "doctor.dirMode": "data dir mode {mode}",
  "doctor.dirOpen": "data dir mode {mode}: chmod 700",
  "doctor.database": "database",
  "doctor.dbOk": "{file} ({n} migrations)",
  "doctor.dbLater": "not created yet; 'digybot serve' creates {file}",
  "doctor.secrets": "secrets",
  "doctor.channels": "channels",
  "doctor.paused": "paused",
  "doctor.noneYet": "none yet",
  "doctor.users": "users",
  "doctor.llm": "llm (ollama)",
  "doctor.models": "{url}: {n} models",
  "doctor.http": "{url}: HTTP {status}",
  "doctor.llmDown": "{url} not reachable (optional: the inbox works without it)",
};

const es: Record<keyof typeof en, string> = {
  help: `DigyBot ${VERSION} — comercio conversacional en tu propia computadora

Uso: digybot <comando> [opciones]

Comandos:
  serve [--demo]          inicia el servidor (consola, chat web, API); --demo carga un restaurante de ejemplo en una base vacía
  migrate                 aplica las migraciones pendientes de la base de datos (antes hace una copia) y termina
  backup ARCHIVO          escribe en ARCHIVO una copia consistente de la base de datos, sin detener nada
  restore ARCHIVO         verifica ARCHIVO y reemplaza con él la base de datos (detén antes el servidor)
  admin create            crea un usuario: --email E --name N --password P [--role admin|supervisor|agent]
  doctor                  revisa la carpeta de datos, la base de datos, el disco, el servidor de IA y los canales
  whatsapp pair NOMBRE    vincula un número de WhatsApp por QR en esta terminal (para instalaciones sin navegador;
                          detén antes el servidor): crea la conexión QR NOMBRE si hace falta; --phone N vincula con código
  agent eval ARCHIVO.jsonl  reproduce conversaciones escritas con un agente de IA (no envía nada) e informa resolución,
                          precisión y exhaustividad de la derivación, intenciones, respuestas sin sustento y latencia;
                          --agent NOMBRE elige el agente, --json imprime JSON
  version                 muestra la versión

Opciones (cada una también como DIGYBOT_<NOMBRE> en el entorno o <nombre> en config/digybot.toml):
  --host H                dirección en la que escucha (por omisión 127.0.0.1)
  --port N                puerto (por omisión 3000)
  --data-dir CARPETA      dónde viven la base de datos y los archivos (por omisión ./digybot-data)
  --public-url URL        la dirección con la que los clientes llegan a este servidor (para el código del chat web)
  --log-level L           debug | info | warn | error | silent
  --config ARCHIVO        archivo de configuración (por omisión config/digybot.toml)

Los mensajes salen en español cuando el idioma del sistema es español (LANG=es_…); DIGYBOT_LANG=en|es elige uno.
`,
  badArgs: "{error}\nEjecuta 'digybot --help' para ver las opciones.",
  unknownCommand: "comando desconocido '{cmd}'. Ejecuta 'digybot --help'.",
  "config.toml": "config: {file} no es TOML válido: {detail}",
  "config.unknownKey": "config: clave desconocida `{key}` (en {source})",
  "config.invalid": "config: valor no válido para `{key}` (en {source}): {problem}",
  "config.default": "el valor por omisión",
  "problem.number": "debe ser un número",
  "problem.min": "debe ser al menos {n}",
  "problem.max": "debe ser como mucho {n}",
  "problem.oneOf": "debe ser uno de: {values}",
  "problem.url": "debe ser una dirección (http:// o https://)",
  "problem.boolean": "debe ser true o false",
  locked:
    "otro DigyBot (pid {pid}, iniciado {at} UTC) está usando la carpeta de datos {dir}: detenlo primero, o usa otra --data-dir",
  lockedRestore:
    "otro DigyBot (pid {pid}, iniciado {at} UTC) está usando la carpeta de datos {dir}: detenlo antes de restaurar",
  lockedPair:
    "otro DigyBot (pid {pid}, iniciado {at} UTC) está usando la carpeta de datos {dir}: detenlo antes de vincular en la terminal",
  "demo.notEmpty":
    "--demo carga datos en una carpeta vacía, y {dir} ya tiene {users}: inicia sin --demo, o dale a --demo otra --data-dir",
  "users.one": "{n} usuario",
  "users.other": "{n} usuarios",
  listening: "DigyBot {version} escuchando en {url}\nConsola: {console}\nDatos: {dir}\n",
  firstRun: "{url}/setup (primera vez: crea tu negocio y tu administrador)",
  demoLogin: "Demo: entra como {email} / {password} (agentes: {agents}, misma contraseña)\n",
  migrated: "aplicadas: {list}",
  migratedBackup: "copia: {file}",
  upToDate: "la base de datos está al día\n",
  migrationFailed: "falló la migración de la base de datos: {detail}",
  backupNeedsFile: "backup necesita un ARCHIVO de destino: digybot backup ARCHIVO",
  noDatabase: "no hay base de datos en {file}",
  backupUnverified: "la copia se escribió pero no pasó la verificación: {reason}",
  backupDone:
    "copia escrita en {file} (base de datos y {files} adjuntos; los secretos siguen cifrados: guarda el archivo de llave {key} aparte)\n",
  restoreNeedsFile: "restore necesita un ARCHIVO de copia: digybot restore ARCHIVO",
  restored: "restaurada {file} en {db} con {files} adjuntos",
  restoredPrevious: "la base de datos anterior quedó en {file}",
  adminUsage: "uso: digybot admin create --email E --name N --password P [--role admin|supervisor|agent]",
  adminNeeds: "admin create necesita --email y --password",
  created: "creado {role} {email}\n",
  "role.admin": "administrador",
  "role.agent": "agente",
  "role.supervisor": "supervisor",
  pairUsage: "uso: digybot whatsapp pair NOMBRE [--phone +52…]",
  evalUsage: "uso: digybot agent eval ARCHIVO.jsonl [--agent NOMBRE] [--json]",
  noSuchFile: "no existe el archivo: {file}",
  noDatabaseYet: "no hay base de datos en {file}: ejecuta 'digybot serve' y configura primero el negocio",
  noAgentNamed: "no hay un agente llamado {name} (agentes: {list})",
  noAgentYet: "todavía no hay agentes de IA: crea uno en Configuración → Agentes de IA",
  none: "ninguno",
  agentLine: "agente: {name}\n",
  "qr.created": 'se creó la conexión de WhatsApp "{name}"\n',
  "qr.timeout": "se acabó el tiempo de espera para vincular\n",
  "qr.scan": "\nEscanea con WhatsApp → Dispositivos vinculados → Vincular un dispositivo:\n{art}\n",
  "qr.unreachable": "No se puede llegar a WhatsApp ({error}); reintentando…\n",
  "qr.paired": "vinculado: {me}; inicia el servidor con 'digybot serve'\n",
  "qr.connected": "conectado",
  "qr.notPaired": "no se vinculó: {reason}\n",
  "qr.code": "Escribe este código en WhatsApp → Dispositivos vinculados → Vincular con el número de teléfono: {code}\n",
  "doctor.dataDir": "carpeta datos",
  "doctor.disk": "disco",
  "doctor.free": "{n} GiB libres",
  "doctor.key": "llave secreta",
  "doctor.keyMissing": "falta {file}: no se pueden leer los secretos de la base de datos",
  "doctor.keyLater": "falta {file}; se crea al primer inicio",
  "doctor.keyMode": "{file} (permisos {mode})",
  "doctor.keyOpen": "{file} (permisos {mode}, la pueden leer otros: chmod 600)",
  "doctor.permissions": "permisos",
  "doctor.dirMode": "carpeta de datos con permisos {mode}",
  "doctor.dirOpen": "carpeta de datos con permisos {mode}: chmod 700",
  "doctor.database": "base de datos",
  "doctor.dbOk": "{file} ({n} migraciones)",
  "doctor.dbLater": "todavía no existe; 'digybot serve' crea {file}",
  "doctor.secrets": "secretos",
  "doctor.channels": "canales",
  "doctor.paused": "en pausa",
  "doctor.noneYet": "ninguno todavía",
  "doctor.users": "usuarios",
  "doctor.llm": "ia (ollama)",
  "doctor.models": "{url}: {n} modelos",
  "doctor.http": "{url}: HTTP {status}",
  "doctor.llmDown": "no se llega a {url} (opcional: la bandeja funciona sin él)",
};

export type CliKey = keyof typeof en;
export const cliDictionaries: Record<CliLocale, Record<CliKey, string>> = { en, es };

/** The CLI's words for this locale: say("key", { var }). */
export function cliText(locale: CliLocale = cliLocale()) {
  const d = cliDictionaries[locale];
  return (key: CliKey, vars: Record<string, string | number> = {}) =>
    d[key].replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}
