// The customer's mood and how pressing their matter is, read from their words (Spanish and English) with a small
// lexicon: cheap enough to run on every inbound message, with or without a language model. It feeds the
// conversation's priority and the agents' hand-off rule for upset customers.
import { normalize } from "./text.ts";

const NEG =
  /\b(molest[oa]s?|enojad[oa]s?|furios[oa]s?|harto|harta|pesim[oa]|horrible|terrible|fatal|mal servicio|malisim[oa]|queja|reclamo|estafa|fraude|robo|inaceptable|decepcionad[oa]|no sirve|no funciona|nunca llego|no ha llegado|no me (han|ha) (llegado|respondido|contestado)|indignad[oa]|verguenza|awful|terrible|worst|angry|upset|furious|scam|fraud|unacceptable|disappointed|complaint|broken|doesn'?t work|never arrived|ridiculous)\b/g;
const POS =
  /\b(gracias|excelente|genial|perfecto|increible|muy bien|me encanta|encantad[oa]|feliz|buenisim[oa]|great|excellent|perfect|awesome|love it|thank you|thanks|amazing|happy)\b/g;
const URGENT =
  /\b(urgente|urgencia|emergencia|inmediato|inmediatamente|ya mismo|hoy mismo|cuanto antes|lo antes posible|rapido|asap|urgent|emergency|immediately|right now|right away)\b/;

export type Mood = { sentiment: "positive" | "neutral" | "negative"; urgency: "low" | "normal" | "high" };

export function readMood(text: string): Mood {
  const n = normalize(text);
  const neg = n.match(NEG)?.length ?? 0,
    pos = n.match(POS)?.length ?? 0;
  const shouting = text.replace(/[^A-ZÁÉÍÓÚÑ]/g, "").length > 12 && text === text.toUpperCase();
  const bangs = /!{2,}/.test(text);
  const sentiment = neg + (shouting ? 1 : 0) > pos ? "negative" : pos > neg ? "positive" : "neutral";
  const urgency = URGENT.test(n) || (sentiment === "negative" && (bangs || shouting)) ? "high" : "normal";
  return { sentiment, urgency };
}

const LEVEL = { none: 0, low: 1, medium: 2, high: 3, urgent: 4 } as const;
type Priority = keyof typeof LEVEL;

/** The priority a conversation should have given the mood: raised, never lowered (people may have set it). */
export function priorityFor(current: Priority, m: Mood): Priority {
  const wanted: Priority =
    m.sentiment === "negative" && m.urgency === "high"
      ? "urgent"
      : m.urgency === "high"
        ? "high"
        : m.sentiment === "negative"
          ? "medium"
          : "none";
  return LEVEL[wanted] > LEVEL[current] ? wanted : current;
}
