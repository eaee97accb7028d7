import { completeSetup } from "./complete.ts";
import { createUser, listDepartments } from "../auth/service.ts";
import {
  createTag,
  createQuickReply,
  ingestInbound,
  sendMessage,
  updateConversation,
  tagConversation,
  listTags,
} from "../inbox/service.ts";
import { listChannels } from "../channels/service.ts";
import { defaultHours } from "./service.ts";
import type { Ctx } from "../platform/context.ts";
import { createProduct } from "../commerce/service.ts";
import { addSource } from "../agents/knowledge.ts";
import { createAgent } from "../agents/service.ts";

export const DEMO_PASSWORD = "demo-digybot";

/** Seeds a demo restaurant (menu, FAQ, two people, an AI agent on the web chat, a few conversations) on an empty database. */
export async function seedDemo(ctx: Ctx) {
  const system = { kind: "system" as const };
  const hours = defaultHours();
  hours.sun = { open: true, from: "13:00", to: "22:00" };
  for (const d of ["mon", "tue", "wed", "thu", "fri", "sat"] as const)
    hours[d] = { open: true, from: "12:00", to: "23:00" };
  await completeSetup(ctx, {
    business: {
      name: "Taquería La Esquina",
      description: "Tacos al pastor, suadero y campechanos. Servicio a domicilio en la colonia Roma y Condesa.",
      location: "Av. Álvaro Obregón 123, Roma Norte, CDMX",
      country: "MX",
      timezone: "America/Mexico_City",
      hours,
      locale: "es",
    },
    departments: ["Pedidos", "Reservaciones"],
    admin: { name: "Dueña (demo)", email: "admin@demo.digybot", password: DEMO_PASSWORD },
  });
  const [pedidos, reservas] = await listDepartments(ctx).then((d) => [
    d.find((x) => x.name === "Pedidos")!,
    d.find((x) => x.name === "Reservaciones")!,
  ]);
  const ana = await createUser(ctx, {
    name: "Ana (pedidos)",
    email: "ana@demo.digybot",
    password: DEMO_PASSWORD,
    role: "agent",
    departmentIds: [pedidos.id],
  });
  await createUser(ctx, {
    name: "Luis (reservaciones)",
    email: "luis@demo.digybot",
    password: DEMO_PASSWORD,
    role: "agent",
    departmentIds: [reservas.id],
  });
  for (const [name, color] of [
    ["pedido", "#0f766e"],
    ["reservación", "#7c3aed"],
    ["queja", "#b91c1c"],
    ["factura", "#b45309"],
  ])
    await createTag(ctx, system, { name, color });
  const qr: [string, string][] = [
    [
      "menu",
      "Nuestro menú: Taco al pastor $25, Suadero $25, Campechano $28, Gringa $65, Quesadilla $40, Agua de horchata $30. ¿Qué te gustaría pedir?",
    ],
    ["horario", "Abrimos de lunes a sábado de 12:00 a 23:00 y domingos de 13:00 a 22:00."],
    ["ubicacion", "Estamos en Av. Álvaro Obregón 123, Roma Norte, CDMX. ¡Te esperamos!"],
    ["envio", "El envío a domicilio cuesta $35 en Roma y Condesa y tarda de 30 a 45 minutos."],
    ["pago", "Aceptamos efectivo, tarjeta y transferencia."],
    ["gracias", "¡Gracias por tu preferencia! Buen provecho 🌮"],
  ];
  for (const [shortcut, body] of qr) await createQuickReply(ctx, system, { shortcut, body });
  const web = (await listChannels(ctx)).find((c) => c.type === "webchat")!;
  const tags = await listTags(ctx);
  const tag = (n: string) => tags.find((t) => t.name === n)!.id;
  const now = ctx.clock.now();
  const convs: {
    who: string;
    phone?: string;
    lines: string[];
    dept: string;
    reply?: [typeof ana, string];
    tag?: string;
    resolve?: boolean;
  }[] = [
    {
      who: "María López",
      phone: "+525512345678",
      lines: ["Hola, ¿tienen servicio a domicilio a la Condesa?", "Quiero 6 tacos al pastor y 2 horchatas"],
      dept: pedidos.id,
      reply: [ana, "¡Hola María! Sí llegamos a la Condesa, el envío cuesta $35. ¿A qué dirección te lo mandamos?"],
      tag: "pedido",
    },
    {
      who: "Jorge Ramírez",
      lines: ["Buenas tardes, quiero reservar mesa para 8 personas el sábado a las 8pm"],
      dept: reservas.id,
      tag: "reservación",
    },
    { who: "Lucía Fernández", lines: ["Mi pedido llegó frío 😞"], dept: pedidos.id, tag: "queja" },
    {
      who: "Pedro Sánchez",
      lines: ["¿A qué hora abren el domingo?"],
      dept: pedidos.id,
      reply: [ana, "Los domingos abrimos de 13:00 a 22:00."],
      resolve: true,
    },
  ];
  let i = 0;
  for (const c of convs) {
    let convId = "";
    for (const line of c.lines) {
      const r = await ingestInbound(ctx, {
        channelId: web.id,
        externalId: `demo-${i++}`,
        from: { externalId: `demo-visitor-${c.who}`, name: c.who, phone: c.phone ?? null },
        body: line,
        at: now - (convs.length - i) * 600_000,
      });
      convId = r.conversationId;
    }
    await updateConversation(ctx, system, convId, { departmentId: c.dept });
    if (c.tag) await tagConversation(ctx, system, convId, tag(c.tag), true);
    if (c.reply)
      await sendMessage(
        ctx,
        {
          kind: "user",
          id: c.reply[0].id,
          name: c.reply[0].name,
          role: "agent",
          locale: "es",
          departmentIds: [c.dept],
        },
        convId,
        { body: c.reply[1] },
      );
    if (c.resolve) await updateConversation(ctx, system, convId, { status: "resolved" });
  }

  // the catalog, a knowledge base and an AI agent on the web chat: new visitors are answered at once, with a local
  // model if Ollama is there and from the FAQ and common topics if it is not
  const menu: [string, string, number][] = [
    ["TAC-PAS", "Taco al pastor", 2500],
    ["TAC-SUA", "Taco de suadero", 2500],
    ["TAC-CAM", "Taco campechano", 2800],
    ["GRI", "Gringa", 6500],
    ["QUE", "Quesadilla", 4000],
    ["HOR", "Agua de horchata", 3000],
  ];
  for (const [sku, name, price] of menu)
    await createProduct(ctx, system, { sku, name, price, category: sku.startsWith("TAC") ? "Tacos" : "Menú" });
  await addSource(ctx, system, {
    title: "Preguntas frecuentes",
    faq: [
      {
        question: "¿Tienen servicio a domicilio?",
        answer: "Sí: el envío a domicilio cuesta $35 en Roma y Condesa y tarda de 30 a 45 minutos.",
      },
      { question: "¿Qué formas de pago aceptan?", answer: "Aceptamos efectivo, tarjeta y transferencia." },
      {
        question: "¿Aceptan reservaciones?",
        answer: "Sí, para grupos de 6 o más. Dinos día, hora y número de personas y te confirmamos.",
      },
      { question: "¿Tienen opciones vegetarianas?", answer: "Sí: quesadillas y tacos de nopal con queso." },
    ],
  });
  await createAgent(ctx, system, {
    name: "Tere",
    persona: "La asistente virtual de la Taquería La Esquina: amable, breve y con buen humor.",
    instructions: "Ayuda a pedir, informa del menú y los envíos, y pasa con Pedidos cualquier queja.",
    channelIds: [web.id],
    tools: ["search_products", "order_status", "create_ticket", "handoff"],
    handoff: {
      keywords: ["queja"],
      maxBotReplies: 0,
      onNegativeSentiment: true,
      departmentId: pedidos.id,
      message: "",
    },
  });

  return { email: "admin@demo.digybot", password: DEMO_PASSWORD, agents: ["ana@demo.digybot", "luis@demo.digybot"] };
}
