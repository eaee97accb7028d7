import { es, type MessageKey } from "./es.ts";
import { en } from "./en.ts";

export type Locale = "es" | "en";
export const dictionaries: Record<Locale, Record<MessageKey, string>> = { es, en };
export type { MessageKey };

/** Translates a key with {placeholders}; unknown keys fall back to Spanish, then to the key itself. */
export function t(locale: Locale, key: string, vars?: Record<string, string | number>): string {
  const s = (dictionaries[locale] as Record<string, string>)[key] ?? (es as Record<string, string>)[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] !== undefined ? String(vars[k]) : `{${k}}`)) : s;
}

/**
 * A count in words: `key.one` / `key.other` (Intl.PluralRules picks which), with {n} filled in:
 * "1 respuesta enviada", "3 respuestas enviadas".
 */
export function plural(locale: Locale, key: string, n: number, vars?: Record<string, string | number>): string {
  const form = new Intl.PluralRules(locale === "es" ? "es-MX" : "en-US").select(n) === "one" ? "one" : "other";
  return t(locale, `${key}.${form}`, { ...vars, n });
}

export type T = (key: MessageKey | (string & {}), vars?: Record<string, string | number>) => string;
export const translator =
  (locale: Locale): T =>
  (key, vars) =>
    t(locale, key, vars);

/** A hand-off's reason in words: the agents' own codes are translated, a model's free text is shown as written. */
export function reasonText(reason: string, t: T) {
  const kw = /^keyword: (.+)$/.exec(reason);
  if (kw) return t("handoff.keyword", { keyword: kw[1] });
  const key = `handoff.${reason}`;
  const s = t(key);
  return s === key ? reason : s;
}

/** Why the AI server failed an agent's turn, as a kind a person can act on (old lines carry only the raw error). */
export function modelProblem(params: Record<string, string | undefined>): string {
  const kind = params.problem ?? params.error?.split(":")[0] ?? "";
  return ["unreachable", "timeout", "model_not_found", "rejected", "bad_response"].includes(kind) ? kind : "other";
}
