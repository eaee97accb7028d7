// Ready-made automations, in the business's language, one click each. Each is an ordinary rule afterwards: the
// owner can open it, change its words or switch it off.
import { eq } from "drizzle-orm";
import type { Actor, Ctx } from "../platform/context.ts";
import { badRequest } from "../platform/errors.ts";
import { users } from "../auth/schema.ts";
import { tags } from "../inbox/schema.ts";
import { createTag } from "../inbox/service.ts";
import { getBusiness } from "../setup/service.ts";
import { automationRules } from "./schema.ts";
import type { RuleInput } from "./model.ts";
import { createRule } from "./service.ts";

export const RECIPES = [
  "out_of_hours",
  "no_reply_escalation",
  "sticky_agent",
  "reengage_30d",
  "appointment_24h",
  "appointment_2h",
  "auto_tag",
  "csat",
  "abandoned_cart",
  "payment_reminder",
] as const;
export type RecipeId = (typeof RECIPES)[number];

const words = {
  es: {
    outOfHours: "Fuera de horario",
    outOfHoursText:
      "¡Hola {{contact.first_name|}}! En este momento estamos cerrados. Te respondemos en cuanto abramos. Gracias por escribirnos.",
    escalation: "Escalar sin respuesta en 15 min",
    escalationNote: "Nadie respondió a este cliente en 15 minutos.",
    escalationAlert: "Cliente esperando respuesta hace 15 minutos",
    sticky: "El mismo agente si vuelve en 24 h",
    reengage: "Reactivar clientes sin actividad 30 días",
    reengageText:
      "¡Hola {{contact.first_name|}}! Hace tiempo que no sabemos de ti. ¿Hay algo en lo que te podamos ayudar hoy?",
    appt24: "Recordatorio de cita 24 h antes",
    appt24Text:
      "Hola {{contact.first_name|}}, te recordamos tu cita {{appointment.service|}} mañana, {{appointment.date}}, a las {{appointment.time}}. Si no puedes venir, avísanos por aquí.",
    appt2: "Recordatorio de cita 2 h antes",
    csat: "Encuesta de satisfacción al resolver",
    appt2Text:
      "Hola {{contact.first_name|}}, tu cita {{appointment.service|}} es hoy a las {{appointment.time}}. ¡Te esperamos!",
    cart: "Recordar el carrito abandonado, con cupón",
    cartText:
      "¡Hola {{contact.first_name|}}! Dejaste productos en tu carrito. Si lo terminas hoy, el cupón VUELVE10 te da 10% de descuento. Escríbenos «confirmo» y lo preparamos.",
    cartCoupon: "Carrito recuperado: 10%",
    payReminder: "Recordar un pago pendiente",
    payReminderText:
      "Hola {{contact.first_name|}}, tu pedido {{order.number}} por {{order.total}} sigue pendiente de pago. {{order.how_to_pay}} Si ya pagaste, envíanos tu comprobante por aquí.",
    tag: (name: string) => `Etiquetar: ${name}`,
    tagAlert: (name: string) => `Un cliente escribió sobre ${name}`,
    topics: [
      { tag: "devolución", keywords: ["devolución", "devolver", "reembolso", "cambio de producto"], alert: true },
      { tag: "pago", keywords: ["pago", "pagar", "transferencia", "depósito", "tarjeta"], alert: false },
      { tag: "envío", keywords: ["envío", "entrega", "paquete", "repartidor", "guía"], alert: false },
    ],
  },
  en: {
    outOfHours: "Out of hours",
    outOfHoursText:
      "Hi {{contact.first_name|}}! We are closed right now. We will answer as soon as we open. Thanks for writing.",
    escalation: "Escalate after 15 min without a reply",
    escalationNote: "Nobody answered this customer for 15 minutes.",
    escalationAlert: "A customer has been waiting for 15 minutes",
    sticky: "Same agent when they come back within 24 h",
    reengage: "Re-engage customers silent for 30 days",
    reengageText: "Hi {{contact.first_name|}}! We have not heard from you in a while. Can we help with anything today?",
    appt24: "Appointment reminder 24 h before",
    appt24Text:
      "Hi {{contact.first_name|}}, a reminder of your {{appointment.service|}} appointment tomorrow, {{appointment.date}}, at {{appointment.time}}. If you cannot come, tell us here.",
    appt2: "Appointment reminder 2 h before",
    csat: "Satisfaction survey when resolved",
    appt2Text:
      "Hi {{contact.first_name|}}, your {{appointment.service|}} appointment is today at {{appointment.time}}. See you!",
    cart: "Remind an abandoned cart, with a coupon",
    cartText:
      "Hi {{contact.first_name|}}! You left products in your cart. Finish it today and the coupon VUELVE10 takes 10% off. Write “confirm” and we will prepare it.",
    cartCoupon: "Recovered cart: 10%",
    payReminder: "Remind a pending payment",
    payReminderText:
      "Hi {{contact.first_name|}}, your order {{order.number}} for {{order.total}} is still waiting for payment. {{order.how_to_pay}} If you have already paid, send us the receipt here.",
    tag: (name: string) => `Tag: ${name}`,
    tagAlert: (name: string) => `A customer wrote about ${name}`,
    topics: [
      { tag: "return", keywords: ["return", "refund", "exchange"], alert: true },
      { tag: "payment", keywords: ["payment", "pay", "transfer", "card"], alert: false },
      { tag: "shipping", keywords: ["shipping", "delivery", "package", "tracking"], alert: false },
    ],
  },
};

async function tagNamed(ctx: Ctx, actor: Actor, name: string) {
  const found = await ctx.db.select({ id: tags.id }).from(tags).where(eq(tags.name, name)).get();
  return found?.id ?? (await createTag(ctx, actor, { name })).id;
}

/** Installs a recipe as one or more rules (the tags it needs are made); installing it twice is refused. */
export async function installRecipe(ctx: Ctx, actor: Actor, id: string) {
  if (!(RECIPES as readonly string[]).includes(id)) throw badRequest("unknown_recipe", "No such ready-made automation");
  const done = await ctx.db
    .select({ id: automationRules.id })
    .from(automationRules)
    .where(eq(automationRules.recipe, id))
    .get();
  if (done) throw badRequest("recipe_installed", "This ready-made automation is already installed");
  const w = words[(await getBusiness(ctx))?.locale === "en" ? "en" : "es"];
  const admins = (await ctx.db.select({ id: users.id, role: users.role, active: users.active }).from(users)).filter(
    (u) => u.role === "admin" && u.active,
  );
  const alertAdmins = admins.length ? admins.map((a) => a.id) : [];
  const rules: RuleInput[] = [];
  switch (id as RecipeId) {
    case "out_of_hours":
      rules.push({
        name: w.outOfHours,
        trigger: { type: "message_received", first: true },
        conditions: { match: "all", items: [{ field: "business.open", op: "eq", value: false }] },
        actions: [{ type: "send_message", body: w.outOfHoursText }],
      });
      break;
    case "no_reply_escalation":
      rules.push({
        name: w.escalation,
        trigger: { type: "no_agent_reply", minutes: 15 },
        conditions: { match: "all", items: [{ field: "conversation.ownerType", op: "neq", value: "bot" }] },
        actions: [
          { type: "set_priority", priority: "urgent" },
          { type: "add_note", body: w.escalationNote },
          ...(alertAdmins.length
            ? [{ type: "notify" as const, userIds: alertAdmins, message: w.escalationAlert }]
            : []),
        ],
      });
      break;
    case "sticky_agent":
      rules.push({
        name: w.sticky,
        trigger: { type: "contact_returned", hours: 24 },
        actions: [{ type: "assign_last" }],
      });
      break;
    case "reengage_30d":
      rules.push({
        name: w.reengage,
        trigger: { type: "customer_silent", minutes: 30 * 24 * 60 },
        tooLateMinutes: 24 * 60,
        actions: [{ type: "send_message", body: w.reengageText }],
      });
      break;
    case "appointment_24h":
    case "appointment_2h": {
      const day = id === "appointment_24h";
      rules.push({
        name: day ? w.appt24 : w.appt2,
        trigger: { type: "appointment_upcoming", minutes: day ? 24 * 60 : 120 },
        tooLateMinutes: day ? 120 : 30,
        actions: [{ type: "send_message", body: day ? w.appt24Text : w.appt2Text }],
      });
      break;
    }
    case "abandoned_cart": {
      // the coupon the message names: 10% off, for 30 days from now (made once; the owner can change it)
      const { promotions } = await import("../commerce/schema.ts");
      const { createPromotion } = await import("../commerce/promotions.ts");
      const have = await ctx.db
        .select({ id: promotions.id })
        .from(promotions)
        .where(eq(promotions.code, "VUELVE10"))
        .get();
      if (!have)
        await createPromotion(ctx, actor, {
          name: w.cartCoupon,
          kind: "percent",
          value: 10,
          code: "VUELVE10",
          endsAt: ctx.clock.now() + 30 * 86_400_000,
        });
      rules.push({
        name: w.cart,
        trigger: { type: "cart_abandoned" },
        tooLateMinutes: 24 * 60,
        actions: [{ type: "send_message", body: w.cartText }],
      });
      break;
    }
    case "payment_reminder":
      rules.push({
        name: w.payReminder,
        trigger: { type: "order_unpaid", minutes: 120 },
        // a reminder that would arrive a day late is left out
        tooLateMinutes: 24 * 60,
        actions: [{ type: "send_message", body: w.payReminderText }],
      });
      break;
    case "csat":
      rules.push({ name: w.csat, trigger: { type: "conversation_resolved" }, actions: [{ type: "send_survey" }] });
      break;
    case "auto_tag":
      for (const topic of w.topics) {
        const tagId = await tagNamed(ctx, actor, topic.tag);
        rules.push({
          name: w.tag(topic.tag),
          trigger: { type: "message_received", keywords: topic.keywords },
          actions: [
            { type: "add_tag", tagId },
            ...(topic.alert && alertAdmins.length
              ? [{ type: "notify" as const, userIds: alertAdmins, message: w.tagAlert(topic.tag) }]
              : []),
          ],
        });
      }
      break;
  }
  const made = [];
  for (const r of rules) made.push(await createRule(ctx, actor, r, id));
  return made;
}

export async function installedRecipes(ctx: Ctx) {
  return new Set(
    (await ctx.db.select({ recipe: automationRules.recipe }).from(automationRules)).flatMap((r) =>
      r.recipe ? [r.recipe] : [],
    ),
  );
}
