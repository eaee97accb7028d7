// Small text tools shared by retrieval, intents and the copilot: normalising (case, accents), content words
// without stop words, a stem that lets "horarios" meet "horario" and "pagar" meet "pago", and telling Spanish from English.

import { stemmer as spanishStem } from "@orama/stemmers/spanish";

const STOP_ES =
  "a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bien cada casi como con contra cual cuales cuando de del desde donde dos e el ella ellas ellos en entre era eres es esa esas ese eso esos esta estan estar estas este esto estos estoy fue fueron ha hace hacen hacer hay he hola la las le les lo los mas me mi mis mismo mucho muy nada ni no nos nosotros o otra otro para pero poco por porque que quien se sea ser si sin sobre solo son su sus tambien tan te tener tengo ti tiene tienen todo todos tu tus un una uno unos usted ustedes va vamos y ya yo quiero quisiera puedo puede pueden podria favor gracias buenas buenos dias tardes noches saber".split(
    " ",
  );
const STOP_EN =
  "a about after all also am an and any are as at be been but by can could did do does for from get got had has have hello hi how i if in into is it its just me my no not of on or our please so some than thanks that the their them then there these they this to up us was we were what when where which who why will with would you your want need know tell".split(
    " ",
  );
const STOP = new Set([...STOP_ES, ...STOP_EN]);
const ES_ONLY = new Set(STOP_ES.filter((w) => !STOP_EN.includes(w)));
const EN_ONLY = new Set(STOP_EN.filter((w) => !STOP_ES.includes(w)));

/** Lower case, no accents or punctuation, single spaces. */
export function normalize(s: string) {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}@.#\s]/gu, " ")
    .replace(/[.](?!\d)/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function words(s: string) {
  return normalize(s).split(" ").filter(Boolean);
}

/**
 * A word's stem for matching: Snowball's Spanish stemmer ("pagar" and "pagos" → "pag", "estacionarse" and
 * "estacionamiento" → "estacion"), always a prefix of the word and at least three letters of it. Words of four
 * letters or fewer stay whole; English words mostly pass through it whole too.
 */
export function stem(w: string) {
  if (w.length <= 4) return w;
  const known = stems.get(w);
  if (known !== undefined) return known;
  if (stems.size >= 50_000) stems.clear();
  const s = snowballPrefix(w);
  stems.set(w, s);
  return s;
}
// stems of the words seen lately: retrieval stems every word of each candidate passage, and vocabularies are small
const stems = new Map<string, string>();

function snowballPrefix(w: string) {
  let s = spanishStem(w);
  // Snowball sometimes rewrites an ending ("transferencia" → "transferent"); matching is by prefix, so keep the
  // part it shares with the word
  let i = 0;
  while (i < s.length && s[i] === w[i]) i++;
  s = s.slice(0, i);
  return s.length >= 3 ? s : w.slice(0, 3);
}

/** The words that carry meaning (no stop words, no one-letter words), stemmed, in order, without repeats. */
export function contentTerms(s: string) {
  return [
    ...new Set(
      words(s)
        .filter((w) => w.length > 1 && !STOP.has(w))
        .map(stem),
    ),
  ];
}

/** The share of `query`'s content terms that `text` contains (prefix match on stems), 0..1. */
export function coverage(query: string[] | string, text: string) {
  const q = typeof query === "string" ? contentTerms(query) : query;
  if (!q.length) return 0;
  const t = words(text);
  const ts = t.map((w) => (w.length > 3 ? stem(w) : null));
  let hit = 0;
  for (const term of q) if (t.some((w, i) => w.startsWith(term) || (ts[i] !== null && term.startsWith(ts[i]!)))) hit++;
  return hit / q.length;
}

/** An FTS5 query that finds any of the content terms (each as a quoted prefix), or null when nothing is left. */
export function anyTermsQuery(s: string) {
  const terms = contentTerms(s).slice(0, 12);
  return terms.length ? terms.map((t) => `"${t.replaceAll('"', "")}"*`).join(" OR ") : null;
}

/** Spanish or English, by their common words (Spanish when unsure: the product's first language). */
export function detectLanguage(s: string, fallback: "es" | "en" = "es"): "es" | "en" {
  const w = words(s);
  let es = 0,
    en = 0;
  for (const x of w) {
    if (ES_ONLY.has(x) || /[ñ¿¡]/.test(x)) es++;
    if (EN_ONLY.has(x)) en++;
  }
  if (/[ñ¿¡áéíóú]/i.test(s)) es += 2;
  return en > es ? "en" : es > en ? "es" : fallback;
}
