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

export type T = (key: MessageKey | (string & {}), vars?: Record<string, string | number>) => string;
export const translator = (locale: Locale): T => (key, vars) => t(locale, key, vars);
