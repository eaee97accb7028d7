// The tools an AI agent may call (function calling). Each has zod arguments (validated before it runs; the model's
// mistakes come back to it as errors to correct), runs against the business's own records, and returns the facts
// a reply may quote: prices, stock and dates in a reply come from here, never from the model. The registry holds
// customer-service tools only: there is no admin tool for an agent to be talked into.
import { z } from "zod";
import { eq } from "drizzle-orm";
import type { Ctx } from "../platform/context.ts";
import { AppError } from "../platform/errors.ts";
import { contacts, tags, conversationTags } from "../inbox/schema.ts";
import { recordBotActivity } from "../inbox/service.ts";
import { normalizePhone } from "../inbox/contacts.ts";
import { getBusiness } from "../setup/service.ts";
import { departments } from "../auth/schema.ts";
import {
  addToCart,
  applyCoupon,
  categoryTree,
  checkout,
  formatMoney,
  getCart,
  lineText,
  listCategories,
  orderByNumber,
  productsInCategory,
  searchProducts,
  setCartDetails,
  updateCartLine,
} from "../commerce/service.ts";
import type { PricedCart } from "../commerce/orders.ts";
import { normalize } from "./text.ts";
import { createTicket } from "../tickets/service.ts";
import { BOOKING_REFUSALS, availableSlots, book, getCalendarSettings, serviceName } from "../calendar/service.ts";
import type { ToolSpec } from "./providers.ts";
import { translator } from "../../ui/i18n/index.ts";

/** What a tool knows of the conversation it serves. `dryRun` (playground, evaluation): nothing is written. */
export type ToolContext = {
  ctx: Ctx;
  agentId: string;
  agentName: string;
  conversationId: string | null;
  contactId: string | null;
  language: "es" | "en";
  dryRun: boolean;
};
/** A tool's outcome: data for the model, or an error it can act on. `handoff` asks the runner to give the conversation to people. */
export type ToolResult =
  | {
      ok: true;
      data: Record<string, unknown>;
      handoff?: { departmentId: string | null; reason: string };
      /** the agent gives the conversation back to the flow that gave it a goal */
      backToFlow?: true;
    }
  | { ok: false; error: string };

type Tool<S extends z.ZodType> = {
  name: string;
  description: string;
  args: S;
  writes: boolean;
  run(t: ToolContext, a: z.output<S>): Promise<ToolResult>;
};
const tool = <S extends z.ZodType>(t: Tool<S>) => t as unknown as Tool<z.ZodType>;

const botActor = (t: ToolContext) => ({ kind: "system" as const, id: t.agentId, name: t.agentName });

/** A cart change and the cart after it, in the words a reply may quote (refusals as errors the model can act on). */
async function cartReply(t: ToolContext, change: () => Promise<PricedCart>): Promise<ToolResult> {
  try {
    const c = await change();
    const money = (m: number) => formatMoney(m, c.currency, t.language);
    return {
      ok: true,
      data: {
        lines: c.lines.map((l) => ({
          lineId: l.id,
          item: lineText(l),
          unitPrice: money(l.unitPrice),
          total: money(l.total),
          ...(l.problem ? { problem: l.problem } : {}),
        })),
        ...(c.discounts.length
          ? {
              subtotal: money(c.subtotal),
              discounts: c.discounts.map((d) => ({ promotion: d.name, amount: `-${money(d.amount)}` })),
            }
          : {}),
        total: money(c.total),
        fulfilment: c.fulfilment ?? "not chosen yet",
        ...(c.delivery
          ? {
              delivery: c.delivery.served
                ? {
                    served: true,
                    ...(c.delivery.zone ? { zone: c.delivery.zone } : {}),
                    fee: money(c.delivery.fee),
                    ...(c.delivery.minOrder ? { minimumOrder: money(c.delivery.minOrder) } : {}),
                    ...(c.delivery.minutes ? { minutes: c.delivery.minutes } : {}),
                  }
                : {
                    // never tell the customer "yes" here: offer these instead
                    served: false,
                    reason: c.delivery.reason,
                    alternatives: [
                      ...(c.delivery.pickup ? ["pickup at the store"] : []),
                      ...c.delivery.zones.map((z) => `delivery to ${z}`),
                    ],
                  },
            }
          : {}),
        ...(c.address ? { address: c.address } : {}),
      },
    };
  } catch (e) {
    if (e instanceof AppError && e.status < 500) return { ok: false, error: `${e.code}: ${e.message}` };
    throw e;
  }
}

/** An activity line in the conversation for what the tool did, so the people who take over see it (not in a dry run). */
async function noteActivity(
  t: ToolContext,
  key: string,
  params: Record<string, string>,
  apply?: Parameters<typeof recordBotActivity>[5],
) {
  if (t.dryRun || !t.conversationId) return;
  await recordBotActivity(t.ctx, t.conversationId, t.agentId, key, { by: t.agentName, ...params }, apply);
}

/** A time the customer cannot have, with the day's free times, so the model offers one of those (and may quote them). */
async function notFree(t: ToolContext, date: string, time: string, why: string): Promise<ToolResult> {
  const free = await availableSlots(t.ctx, date).catch(() => null);
  return {
    ok: false,
    error: `${date} ${time} cannot be booked: ${why}. Free times on ${date}: ${free?.slots.join(", ") || "none"}`,
  };
}

export const TOOLS = [
  tool({
    name: "search_products",
    description:
      "Search the catalog by what the customer is looking for. Returns names, prices and stock: quote prices and availability only from here.",
    args: z.strictObject({
      query: z.string().min(1).max(200).describe("product name, kind or feature"),
      limit: z.number().int().min(1).max(10).optional(),
    }),
    writes: false,
    async run(t, a) {
      const found = await searchProducts(t.ctx, a.query, a.limit ?? 5);
      return {
        ok: true,
        data: {
          products: found.map((p) => ({
            sku: p.sku,
            name: p.name,
            description: p.description.slice(0, 300),
            price: formatMoney(p.price, p.currency, t.language),
            stock: p.stock,
            available: p.stock === null || p.stock > 0,
          })),
        },
      };
    },
  }),
  tool({
    name: "order_status",
    description: "Look up an order by its number and tell its status, items and total.",
    args: z.strictObject({
      orderNumber: z.string().min(1).max(40).describe("the order number the customer gave, e.g. 1042"),
    }),
    writes: false,
    async run(t, a) {
      const o = await orderByNumber(t.ctx, a.orderNumber);
      // an order of another customer is not found: its existence is not this customer's business
      if (!o || (o.contactId && t.contactId && o.contactId !== t.contactId))
        return { ok: false, error: `No order ${a.orderNumber} was found for this customer` };
      return {
        ok: true,
        data: {
          number: o.number,
          status: translator(t.language)(`orders.status.${o.status}`),
          items: o.items.map((i) => `${i.quantity} × ${i.name}`),
          total: formatMoney(o.total, o.currency, t.language),
          updated: new Date(o.updatedAt).toISOString().slice(0, 10),
        },
      };
    },
  }),
  tool({
    name: "browse_menu",
    description:
      "The menu: the catalog's categories, or the products of one category (with variants, extras and prices). Quote prices only from here or the cart.",
    args: z.strictObject({
      category: z.string().max(100).optional().describe("a category name from the list; omit it for the categories"),
    }),
    writes: false,
    async run(t, a) {
      const cats = categoryTree(await listCategories(t.ctx));
      const cat = a.category ? cats.find((c) => normalize(c.name) === normalize(a.category!)) : undefined;
      if (a.category && !cat)
        return {
          ok: false,
          error: `No category "${a.category}". Categories: ${cats.map((c) => c.name).join(", ") || "none"}`,
        };
      if (!cat && cats.length) return { ok: true, data: { categories: cats.map((c) => c.path) } };
      const money = (m: number, cur: string) => formatMoney(m, cur, t.language);
      const list = await productsInCategory(t.ctx, cat?.id ?? null);
      return {
        ok: true,
        data: {
          ...(cat ? { category: cat.path } : {}),
          products: list.slice(0, 30).map((p) => ({
            sku: p.sku,
            name: p.name,
            price: p.variants.length ? undefined : money(p.price, p.currency),
            variants: p.variants.map((v) => ({ key: v.key, name: v.name, price: money(v.price, p.currency) })),
            extras: p.modifiers.map((m) => ({ key: m.key, name: m.name, price: `+${money(m.price, p.currency)}` })),
            available: p.stock === null || p.stock > 0,
          })),
        },
      };
    },
  }),
  tool({
    name: "cart_add",
    description:
      "Add a product to the customer's cart (its sku from browse_menu or search_products, a variant key when it has variants, extra keys). Returns the cart with its totals.",
    args: z.strictObject({
      sku: z.string().min(1).max(64),
      quantity: z.number().int().min(1).max(99).default(1),
      variant: z.string().max(64).optional(),
      extras: z.array(z.string().max(64)).max(10).default([]),
      note: z.string().max(200).default(""),
    }),
    writes: true,
    async run(t, a) {
      if (!t.conversationId) return { ok: false, error: "There is no conversation to keep a cart in" };
      if (t.dryRun) return { ok: true, data: { added: a.sku, quantity: a.quantity, dryRun: true } };
      return cartReply(t, () =>
        addToCart(t.ctx, botActor(t), t.conversationId!, {
          sku: a.sku,
          quantity: a.quantity,
          variant: a.variant ?? null,
          modifiers: a.extras,
          note: a.note,
        }),
      );
    },
  }),
  tool({
    name: "cart_remove",
    description: "Take a line out of the cart, or change its quantity (the line id from the cart).",
    args: z.strictObject({ lineId: z.string().min(1).max(64), quantity: z.number().int().min(0).max(99).default(0) }),
    writes: true,
    async run(t, a) {
      if (!t.conversationId || t.dryRun) return { ok: true, data: { removed: a.lineId, dryRun: t.dryRun } };
      return cartReply(t, () =>
        updateCartLine(t.ctx, botActor(t), t.conversationId!, a.lineId, { quantity: a.quantity }),
      );
    },
  }),
  tool({
    name: "cart_show",
    description: "The customer's cart: its lines, prices and total, pickup or delivery and the address.",
    args: z.strictObject({}),
    writes: false,
    async run(t) {
      if (!t.conversationId) return { ok: true, data: { lines: [], total: formatMoney(0, "MXN", t.language) } };
      return cartReply(t, () => getCart(t.ctx, botActor(t), t.conversationId!));
    },
  }),
  tool({
    name: "cart_coupon",
    description: "Put the coupon code the customer gave on the cart (it must be valid now and apply to the cart).",
    args: z.strictObject({ code: z.string().min(1).max(40) }),
    writes: true,
    async run(t, a) {
      if (!t.conversationId || t.dryRun) return { ok: true, data: { coupon: a.code, dryRun: t.dryRun } };
      return cartReply(t, () => applyCoupon(t.ctx, botActor(t), t.conversationId!, a.code));
    },
  }),
  tool({
    name: "cart_delivery",
    description: "Pickup at the store, or delivery to an address the customer gave.",
    args: z.strictObject({ fulfilment: z.enum(["pickup", "delivery"]), address: z.string().max(500).optional() }),
    writes: true,
    async run(t, a) {
      if (!t.conversationId || t.dryRun) return { ok: true, data: { fulfilment: a.fulfilment, dryRun: t.dryRun } };
      return cartReply(t, () =>
        setCartDetails(t.ctx, botActor(t), t.conversationId!, {
          fulfilment: a.fulfilment,
          ...(a.address ? { address: a.address } : {}),
        }),
      );
    },
  }),
  tool({
    name: "place_order",
    description:
      'Turn the cart into an order once the customer confirmed it (read the cart back first). Returns the order number and total to give the customer; with payment "link" a payment link is sent to the customer in its own message.',
    args: z.strictObject({ payment: z.enum(["cash", "transfer", "card", "link"]).default("cash") }),
    writes: true,
    async run(t, a) {
      if (!t.conversationId) return { ok: false, error: "There is no conversation to take the order in" };
      if (t.dryRun) return { ok: true, data: { orderNumber: "(prueba)" } };
      try {
        const o = await checkout(t.ctx, botActor(t), t.conversationId, { paymentMethod: a.payment });
        await noteActivity(t, "order_placed", {
          number: o.number,
          total: formatMoney(o.total, o.currency, t.language),
        });
        // paying online: the link goes to the customer as its own message
        let paymentLink: "sent" | "not_available" | undefined;
        if (a.payment === "link") {
          const { createPaymentLink } = await import("../commerce/payments.ts");
          paymentLink = await createPaymentLink(t.ctx, botActor(t), o.id, { send: true })
            .then(() => "sent" as const)
            .catch((e) => {
              if (!(e instanceof AppError)) throw e;
              return "not_available" as const;
            });
        }
        return {
          ok: true,
          data: {
            ...(paymentLink ? { paymentLink } : {}),
            orderNumber: o.number,
            total: formatMoney(o.total, o.currency, t.language),
            fulfilment: o.fulfilment,
            items: o.items.map((i) => lineText(i)),
          },
        };
      } catch (e) {
        if (e instanceof AppError && e.status < 500) return { ok: false, error: `${e.code}: ${e.message}` };
        throw e;
      }
    },
  }),
  tool({
    name: "create_ticket",
    description:
      "Open a support ticket for a problem that people must follow up (a complaint, a repair, a refund). Returns the ticket number to give the customer.",
    args: z.strictObject({
      subject: z.string().min(3).max(200),
      description: z.string().max(4000).default(""),
      priority: z.enum(["low", "medium", "high", "urgent"]).default("medium"),
    }),
    writes: true,
    async run(t, a) {
      if (t.dryRun) return { ok: true, data: { ticketNumber: "(prueba)", subject: a.subject } };
      const row = await createTicket(
        t.ctx,
        { kind: "system", id: t.agentId },
        { ...a, contactId: t.contactId, conversationId: t.conversationId },
        { type: "bot", id: t.agentId },
      );
      await noteActivity(t, "ticket_created", { number: String(row.number), subject: row.subject });
      return { ok: true, data: { ticketNumber: row.number, subject: row.subject } };
    },
  }),
  tool({
    name: "check_availability",
    description: "List the free appointment times of a day in the business calendar.",
    args: z.strictObject({ date: z.string().describe("YYYY-MM-DD") }),
    writes: false,
    async run(t, a) {
      const r = await availableSlots(t.ctx, a.date);
      const { services } = await getCalendarSettings(t.ctx);
      return { ok: true, data: { ...r, ...(services.length ? { services } : {}) } };
    },
  }),
  tool({
    name: "book_appointment",
    description: "Book an appointment at a free time (check_availability first). Returns the confirmed date and time.",
    args: z.strictObject({
      date: z.string().describe("YYYY-MM-DD"),
      time: z.string().describe("HH:MM, 24 h"),
      service: z.string().max(100).default(""),
      notes: z.string().max(500).default(""),
    }),
    writes: true,
    async run(t, a) {
      if (t.dryRun) {
        const service = await serviceName(t.ctx, a.service);
        const free = await availableSlots(t.ctx, a.date);
        if (!free.slots.includes(a.time)) return notFree(t, a.date, a.time, "not a free time");
        return { ok: true, data: { booked: true, date: a.date, time: a.time, service } };
      }
      let r: Awaited<ReturnType<typeof book>>;
      try {
        r = await book(
          t.ctx,
          { kind: "system", id: t.agentId },
          { ...a, contactId: t.contactId, conversationId: t.conversationId },
        );
      } catch (e) {
        if (e instanceof AppError && BOOKING_REFUSALS.has(e.code)) return notFree(t, a.date, a.time, e.message);
        throw e;
      }
      await noteActivity(t, "appointment_booked", {
        date: r.date,
        time: r.time,
        service: r.service ? ` (${r.service})` : "",
      });
      return { ok: true, data: { booked: true, date: r.date, time: r.time, service: r.service } };
    },
  }),
  tool({
    name: "save_lead",
    description:
      "Save what the customer told about themselves (name, email, phone, company, interest) to their contact record.",
    args: z.strictObject({
      name: z.string().max(200).optional(),
      email: z.email().optional(),
      phone: z.string().max(40).optional(),
      company: z.string().max(200).optional(),
      interest: z.string().max(500).optional(),
      notes: z.string().max(1000).optional(),
    }),
    writes: true,
    async run(t, a) {
      // a phone is kept in E.164 like every other (an impossible one is an error the model can ask about)
      const phone = a.phone ? normalizePhone(a.phone, (await getBusiness(t.ctx))?.country) : null;
      if (!t.contactId || t.dryRun) return { ok: true, data: { saved: Object.keys(a) } };
      await t.ctx.database.write(async (tx) => {
        const c = await tx.select().from(contacts).where(eq(contacts.id, t.contactId!)).get();
        if (!c) return;
        const attrs = {
          ...c.attributes,
          ...(a.company ? { company: a.company } : {}),
          ...(a.interest ? { interest: a.interest } : {}),
          ...(a.notes ? { notes: a.notes } : {}),
          lead: true,
        };
        await tx
          .update(contacts)
          .set({
            ...(a.name ? { name: a.name } : {}),
            ...(a.email ? { email: a.email.toLowerCase() } : {}),
            ...(phone && !c.phone ? { phone } : {}),
            attributes: attrs,
            updatedAt: t.ctx.clock.now(),
          })
          .where(eq(contacts.id, c.id));
      });
      await noteActivity(t, "lead_saved", {
        data: [a.name, a.email?.toLowerCase(), phone, a.company, a.interest].filter(Boolean).join(" · "),
      });
      return { ok: true, data: { saved: Object.keys(a) } };
    },
  }),
  tool({
    name: "tag_conversation",
    description: "Tag the conversation with one of the business's existing tags (e.g. the customer's interest).",
    args: z.strictObject({ tag: z.string().min(1).max(40) }),
    writes: true,
    async run(t, a) {
      const all = await t.ctx.db.select().from(tags);
      const tg = all.find((x) => x.name.toLowerCase() === a.tag.trim().toLowerCase());
      if (!tg)
        return {
          ok: false,
          error: `No tag named "${a.tag}". Existing tags: ${all.map((x) => x.name).join(", ") || "none"}`,
        };
      await noteActivity(t, "bot_tagged", { tag: tg.name }, (tx) =>
        tx.insert(conversationTags).values({ conversationId: t.conversationId!, tagId: tg.id }).onConflictDoNothing(),
      );
      return { ok: true, data: { tagged: tg.name } };
    },
  }),
  tool({
    name: "handoff",
    description:
      "Give the conversation to a person (a department if one fits) when you cannot help, the customer asks for a person, or the matter needs people.",
    args: z.strictObject({ reason: z.string().min(1).max(300), department: z.string().max(100).optional() }),
    writes: true,
    async run(t, a) {
      let departmentId: string | null = null;
      if (a.department) {
        const all = await t.ctx.db.select({ id: departments.id, name: departments.name }).from(departments);
        departmentId = all.find((d) => d.name.toLowerCase() === a.department!.trim().toLowerCase())?.id ?? null;
      }
      return { ok: true, data: { handedOff: true }, handoff: { departmentId, reason: a.reason } };
    },
  }),
];

export const TOOL_NAMES = TOOLS.map((t) => t.name) as [string, ...string[]];

/**
 * Offered only while a flow wants the conversation back (an agent step with a next): never one of the tools an
 * owner gives an agent.
 */
export const RETURN_TO_FLOW = tool({
  name: "return_to_flow",
  description:
    "Give the conversation back to the flow that gave you your goal, once that goal is met. Write nothing after calling it: the flow goes on with the customer.",
  args: z.strictObject({ summary: z.string().max(500).optional() }),
  writes: true,
  async run() {
    return { ok: true, data: { back: true }, backToFlow: true };
  },
});
const byName = new Map([...TOOLS, RETURN_TO_FLOW].map((t) => [t.name, t]));

/** The tool specs offered to the model: only those the agent was given. */
export function toolSpecs(allowed: readonly string[]): ToolSpec[] {
  return allowed
    .map((n) => byName.get(n))
    .filter((t) => !!t)
    .map((t) => ({
      name: t.name,
      description: t.description,
      parameters: z.toJSONSchema(t.args, { target: "draft-7", io: "input" }) as Record<string, unknown>,
    }));
}

/**
 * Runs one tool call: refused when the agent was not given the tool (whatever the model or the customer says),
 * arguments checked with zod, domain errors returned as text the model can act on.
 */
export async function runTool(t: ToolContext, allowed: string[], name: string, args: unknown): Promise<ToolResult> {
  const tl = byName.get(name);
  if (!tl || !allowed.includes(name))
    return {
      ok: false,
      error: `The tool "${name}" is not available. Available tools: ${allowed.join(", ") || "none"}`,
    };
  const parsed = tl.args.safeParse(args ?? {});
  if (!parsed.success)
    return {
      ok: false,
      error: `Invalid arguments for ${name}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; ")}`,
    };
  try {
    return await tl.run(t, parsed.data);
  } catch (e) {
    if (e instanceof AppError || e instanceof z.ZodError) return { ok: false, error: e.message };
    throw e;
  }
}

export const writesData = (name: string) => byName.get(name)?.writes ?? false;
