// What a customer wants, without a language model: a few intents every business meets (greeting, hours, location,
// asking for a person, an order's status, a product's price, thanks), in Spanish and English, by patterns over normalised text (no
// accents, lower case), each with a weight. The highest score wins; nothing above zero is "none".
import { normalize } from "./text.ts";

export type Intent = "greeting" | "hours" | "location" | "human" | "order_status" | "product" | "thanks" | "none";

const P: Record<Exclude<Intent, "none">, [RegExp, number][]> = {
  human: [
    [
      /\b(asesor|asesora|humano|humana|persona real|una persona|operador|operadora|ejecutivo|ejecutiva|agente humano|alguien real)\b/,
      3,
    ],
    [
      /\b(habl\w*|comunic\w*|pasa|pasas|pasame|pasar|pasen|contact\w*|atender|atienda|transfier\w*|canaliz\w*)\b.*\b(alguien|persona|encargad[oa]|gerente|supervisor\w*|responsable|asesor\w*|agente|humano)\b/,
      3,
    ],
    [
      /\b(human|real person|a person|someone real|operator|representative|live agent|an agent|real agent|customer service agent)\b/,
      3,
    ],
    [
      /\b(talk|speak|chat|transfer|connect|put)\b.*\b(someone|somebody|person|human|manager|supervisor|agent|representative)\b/,
      3,
    ],
    [/\bno (quiero|me sirve) (hablar con )?(un )?(bot|robot|maquina)\b|\bnot? (a )?(bot|robot)\b/, 2],
  ],
  hours: [
    [/\b(horario|horarios|hora de apertura|hora de cierre)\b/, 3],
    [/\ba que hora\b.*\b(abren|cierran|abre|cierra|atienden|habren)\b/, 3],
    [/\b(abren|abre|abrieron|abiertos|abierto|cierran|cierra|cerraron|cerrado|cerrados|atienden)\b/, 2],
    [/\b(que dias|dias)\b.*\b(abren|trabajan|atienden)\b/, 2],
    [/\b(opening hours|business hours|hours|what time)\b.*\b(open|close|you)?\b/, 2],
    [/\b(are you open|do you open|when do you (open|close)|open today|open on|closing time|opening time)\b/, 3],
  ],
  location: [
    [
      /\b(donde (estan|esta|se encuentran|queda|quedan|los encuentro|ubicados)|direccion|ubicacion|ubicados|como llego|sucursal|local fisico|en que (colonia|parte|calle|zona)|google maps|mapa)\b/,
      3,
    ],
    [/\b(where are you|where is|address|location|how do i get|directions|located|find you)\b/, 3],
  ],
  order_status: [
    [
      /\b(pedido|orden|compra|envio|paquete)\b.*\b(estado|status|donde|llega|llego|va|rastrear|rastreo|seguimiento|cuando)\b/,
      3,
    ],
    [/\b(estado|status|rastrear|rastreo|seguimiento)\b.*\b(pedido|orden|compra|envio|paquete)\b/, 3],
    [/\bdonde (esta|estan|va|viene|anda)\b.*\b(pedido|orden|compra|paquete|envio)\b/, 4],
    [/\b(mi pedido|mi orden|mi compra|mi paquete)\b/, 1],
    [
      /\b(order|package|shipment|delivery|purchase)\b.*\b(status|where|track|arrive|arrived|when|ship|shipped|sent|delivered)\b/,
      3,
    ],
    [/\b(where|track|status)\b.*\b(my )?(order|package|shipment)\b/, 3],
    [/\bpedido\s*#?\s*\d{3,}|\border\s*#?\s*\d{3,}/, 2],
  ],
  // a product's price or whether it is there; answered from the catalog (search_products), or not at all
  product: [
    [
      /\b(cuanto (cuesta|cuestan|vale|valen|sale|salen|esta|estan|cobran)|precio|precios|costo|costos|how much|price|prices|cost)\b/,
      2,
    ],
    [/\b(tienen|hay|venden|manejan|les queda|les quedan|do you (have|sell)|is there|are there)\b/, 1],
  ],
  greeting: [
    [
      /^(hol+a+s?|ola+|buenas|buen(os|as)? (dia|dias|tarde|tardes|noche|noches)|que tal|que onda|saludos|hey|hi|hello|good morning|good afternoon|good evening)\b/,
      2,
    ],
  ],
  thanks: [[/\bgracias\b|^(thank you|thanks|thx|ty)\b|\bmuy amable\b|\b(te|se) lo agradezco\b/, 2]],
};

/** The customer's intent and the score that chose it (0 for none). A greeting with a question is the question. */
export function classifyIntent(text: string): { intent: Intent; score: number } {
  const n = normalize(text);
  let best: Intent = "none",
    score = 0;
  for (const [intent, patterns] of Object.entries(P) as [Exclude<Intent, "none">, [RegExp, number][]][]) {
    let s = 0;
    for (const [re, w] of patterns) if (re.test(n)) s = Math.max(s, w);
    if (s > score || (s === score && s > 0 && rank(intent) < rank(best))) {
      best = intent;
      score = s;
    }
  }
  // a greeting or thanks that goes on to ask something is about the question, which retrieval may answer
  if ((best === "greeting" || best === "thanks") && n.split(" ").length > 6) return { intent: "none", score: 0 };
  return { intent: best, score };
}

const ORDER: Intent[] = ["human", "order_status", "hours", "location", "product", "greeting", "thanks", "none"];
const rank = (i: Intent) => ORDER.indexOf(i);

/** An order number written by the customer ("pedido 1042", "#A-77"), if any. */
export function orderNumberIn(text: string) {
  return /#\s*([A-Za-z0-9-]{2,20})\b/.exec(text)?.[1] ?? /\b(\d{3,12})\b/.exec(text)?.[1] ?? null;
}
