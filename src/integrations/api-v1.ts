import { Hono, type Context } from "hono";
import { availabilityInput, setAvailability, teamOverview } from "../inbox/assignment.ts";
import { z } from "zod";
import type { Env } from "../app/http.ts";
import { readJson, query, formBody, fileResponse } from "../app/http.ts";
import { AppError, notFound, forbidden } from "../platform/errors.ts";
import { assertAdmin, isAdmin, seesAll, type Actor } from "../platform/context.ts";
import { requireScope } from "../auth/scopes.ts";
import type { OpenApiRegistry } from "./openapi.ts";
import * as inbox from "../inbox/service.ts";
import * as contacts from "../inbox/contacts.ts";
import * as c360 from "../inbox/contact-360.ts";
import * as cfields from "../inbox/contact-fields.ts";
import * as auth from "../auth/service.ts";
import * as channels from "../channels/service.ts";
import * as cloud from "../channels/whatsapp-cloud/service.ts";
import * as qr from "../channels/whatsapp-qr/service.ts";
import * as ai from "../agents/settings.ts";
import { agentRoutes } from "../agents/routes.ts";
import { libraryRoutes } from "../library/routes.ts";
import { automationRoutes } from "../automation/routes.ts";
import { commerceRoutes } from "../commerce/routes.ts";
import { ticketRoutes } from "../tickets/routes.ts";
import { patchOf, idRef } from "../platform/validation.ts";
import { getBusiness } from "../setup/service.ts";
import { fileVisibleTo } from "../inbox/visibility.ts";

const actorOf = (c: Context<Env>) => c.get("actor") as Actor;
const country = async (c: Context<Env>) => (await getBusiness(c.get("ctx")))?.country ?? "MX";

/** The REST API v1: the console's own data API and the integrators' (an API key acts within its scope). */
export function apiV1(registry: OpenApiRegistry) {
  const app = new Hono<Env>();
  app.use("*", async (c, next) => {
    const a = c.get("actor");
    if (a?.kind === "api_key") requireScope(a.scope, c.req.method, c.req.path.replace(/^\/api\/v1/, ""));
    await next();
  });
  const doc = (
    method: string,
    path: string,
    tag: string,
    summary: string,
    extra: { body?: z.ZodType; query?: z.ZodType; multipart?: boolean } = {},
  ) => registry.add({ method, path: `/api/v1${path}`, tag, summary, ...extra });

  doc("GET", "/me", "Auth", "Who the caller is");
  app.get("/me", (c) => c.json({ data: actorOf(c) }));

  // ---- contacts
  // the list's search and filters, or a saved segment's (its filters, then those given)
  const contactList = contacts.contactFilters.extend({ segment: z.string().max(64).optional() });
  doc("GET", "/contacts", "Contacts", "List or search contacts (filters, or a saved segment)", { query: contactList });
  app.get("/contacts", async (c) => {
    const { segment, ...f } = query(c, contactList);
    const saved = segment ? (await cfields.getSegment(c.get("ctx"), segment)).filters : {};
    const r = await contacts.listContacts(c.get("ctx"), actorOf(c), { ...saved, ...f });
    return c.json({ data: r.items, next: r.next });
  });
  doc("POST", "/contacts", "Contacts", "Create a contact", { body: contacts.contactInput });
  app.post("/contacts", async (c) => {
    // a contact made by an agent would have no conversation she could see it by: those who see all create them
    if (!seesAll(actorOf(c))) throw forbidden("admin_only", "Only an administrator can do this");
    return c.json(
      { data: await contacts.createContact(c.get("ctx"), await readJson(c, contacts.contactInput), await country(c)) },
      201,
    );
  });
  doc("GET", "/contact-fields", "Contacts", "The contact attributes the business defines");
  app.get("/contact-fields", async (c) => c.json({ data: await cfields.listContactFields(c.get("ctx")) }));
  doc("POST", "/contact-fields", "Contacts", "Define a contact attribute", { body: cfields.fieldInput });
  app.post("/contact-fields", async (c) =>
    c.json(
      { data: await cfields.createContactField(c.get("ctx"), actorOf(c), await readJson(c, cfields.fieldInput)) },
      201,
    ),
  );
  doc("DELETE", "/contact-fields/:id", "Contacts", "Delete a contact attribute definition (values stay)");
  app.delete("/contact-fields/:id", async (c) => {
    await cfields.deleteContactField(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/contact-segments", "Contacts", "Saved segments");
  app.get("/contact-segments", async (c) => c.json({ data: await cfields.listSegments(c.get("ctx")) }));
  doc("POST", "/contact-segments", "Contacts", "Save a segment (a search and filters of the contacts)", {
    body: cfields.segmentInput,
  });
  app.post("/contact-segments", async (c) =>
    c.json(
      { data: await cfields.createSegment(c.get("ctx"), actorOf(c), await readJson(c, cfields.segmentInput)) },
      201,
    ),
  );
  doc("GET", "/contact-segments/:id/count", "Contacts", "How many contacts a segment holds now");
  app.get("/contact-segments/:id/count", async (c) => {
    const s = await cfields.getSegment(c.get("ctx"), c.req.param("id"));
    return c.json({ data: { count: await cfields.countContacts(c.get("ctx"), actorOf(c), s.filters) } });
  });
  doc("DELETE", "/contact-segments/:id", "Contacts", "Delete a segment");
  app.delete("/contact-segments/:id", async (c) => {
    await cfields.deleteSegment(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/contacts/duplicates", "Contacts", "Contacts sharing a phone or an e-mail (administrators)");
  app.get("/contacts/duplicates", async (c) => c.json({ data: await c360.duplicateGroups(c.get("ctx"), actorOf(c)) }));
  doc("GET", "/contacts/:id", "Contacts", "Get a contact");
  app.get("/contacts/:id", async (c) =>
    c.json({ data: await contacts.getContact(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("PATCH", "/contacts/:id", "Contacts", "Update a contact (attributes are merged; null removes one)", {
    body: contacts.contactPatch,
  });
  app.patch("/contacts/:id", async (c) =>
    c.json({
      data: await contacts.updateContact(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, contacts.contactPatch),
        await country(c),
      ),
    }),
  );
  doc(
    "GET",
    "/contacts/:id/overview",
    "Contacts",
    "A contact's whole picture: conversations, tickets, orders, appointments, notes, timeline",
  );
  app.get("/contacts/:id/overview", async (c) =>
    c.json({ data: await c360.contact360(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("POST", "/contacts/:id/notes", "Contacts", "Add a note about a contact", { body: c360.noteInput });
  app.post("/contacts/:id/notes", async (c) =>
    c.json(
      {
        data: await c360.addContactNote(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, c360.noteInput)),
      },
      201,
    ),
  );
  doc("PUT", "/contacts/:id/tags/:tagId", "Contacts", "Tag a contact");
  app.put("/contacts/:id/tags/:tagId", async (c) => {
    await c360.tagContact(c.get("ctx"), actorOf(c), c.req.param("id"), c.req.param("tagId"), true);
    return c.json({ data: { ok: true } });
  });
  doc("DELETE", "/contacts/:id/tags/:tagId", "Contacts", "Untag a contact");
  app.delete("/contacts/:id/tags/:tagId", async (c) => {
    await c360.tagContact(c.get("ctx"), actorOf(c), c.req.param("id"), c.req.param("tagId"), false);
    return c.json({ data: { ok: true } });
  });
  doc("POST", "/contacts/:id/merge", "Contacts", "Merge a duplicate into this contact", {
    body: c360.mergeContactInput,
  });
  app.post("/contacts/:id/merge", async (c) =>
    c.json({
      data: await c360.mergeContacts(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, c360.mergeContactInput),
      ),
    }),
  );
  doc("DELETE", "/contacts/:id", "Contacts", "Delete a contact and their conversations (administrators)");
  app.delete("/contacts/:id", async (c) => {
    await c360.deleteContact(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/contacts/:id/conversations", "Contacts", "A contact's conversations");
  app.get("/contacts/:id/conversations", async (c) => {
    await contacts.getContact(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: await contacts.contactConversations(c.get("ctx"), actorOf(c), c.req.param("id")) });
  });

  // ---- conversations
  doc("GET", "/conversations", "Conversations", "List conversations (filters, search, keyset pagination)", {
    query: inbox.listFilters,
  });
  app.get("/conversations", async (c) => {
    const r = await inbox.listConversations(c.get("ctx"), actorOf(c), query(c, inbox.listFilters));
    return c.json({ data: r.items, next: r.next });
  });
  doc("GET", "/conversations/:id", "Conversations", "Get a conversation");
  app.get("/conversations/:id", async (c) =>
    c.json({ data: await inbox.getConversation(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("PATCH", "/conversations/:id", "Conversations", "Assign, transfer, resolve, reopen, snooze or prioritise", {
    body: inbox.conversationPatch,
  });
  app.patch("/conversations/:id", async (c) =>
    c.json({
      data: await inbox.updateConversation(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, inbox.conversationPatch),
      ),
    }),
  );
  doc("POST", "/conversations/:id/read", "Conversations", "Mark a conversation read");
  app.post("/conversations/:id/read", async (c) => {
    await inbox.markRead(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc(
    "POST",
    "/conversations/:id/typing",
    "Conversations",
    "Say that you are writing a reply (shown to the customer on the web chat, and to other agents); nothing is stored",
  );
  app.post("/conversations/:id/typing", async (c) => {
    await inbox.typing(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.body(null, 204);
  });
  doc("GET", "/conversations/:id/messages", "Messages", "Messages of a conversation", { query: inbox.messagePage });
  app.get("/conversations/:id/messages", async (c) =>
    c.json({
      data: await inbox.listMessages(c.get("ctx"), actorOf(c), c.req.param("id"), query(c, inbox.messagePage)),
    }),
  );
  doc(
    "POST",
    "/conversations/:id/messages",
    "Messages",
    "Send a reply or a private note (queued to the outbox; idempotencyKey makes retries safe)",
    { body: inbox.sendInput },
  );
  app.post("/conversations/:id/messages", async (c) => {
    const r = await inbox.sendMessage(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, inbox.sendInput));
    return c.json({ data: r.message, duplicate: r.duplicate }, r.duplicate ? 200 : 202);
  });
  doc("PUT", "/conversations/:id/tags/:tagId", "Tags", "Tag a conversation");
  app.put("/conversations/:id/tags/:tagId", async (c) => {
    await inbox.tagConversation(c.get("ctx"), actorOf(c), c.req.param("id"), c.req.param("tagId"), true);
    return c.json({ data: { ok: true } });
  });
  doc("DELETE", "/conversations/:id/tags/:tagId", "Tags", "Untag a conversation");
  app.delete("/conversations/:id/tags/:tagId", async (c) => {
    await inbox.tagConversation(c.get("ctx"), actorOf(c), c.req.param("id"), c.req.param("tagId"), false);
    return c.json({ data: { ok: true } });
  });

  // ---- inbound through the API channel
  const inboundBody = z.strictObject({
    channelId: z.string(),
    externalId: z.string().min(1).max(200).optional(),
    from: z.strictObject({
      externalId: z.string().min(1).max(200),
      name: z.string().max(200).optional(),
      phone: z.string().max(40).optional(),
      email: z.email().optional(),
    }),
    body: z.string().max(10_000).default(""),
  });
  doc(
    "POST",
    "/inbound",
    "Messages",
    "Deliver a customer's message through an API channel (idempotent by externalId)",
    { body: inboundBody },
  );
  app.post("/inbound", async (c) => {
    const b = await readJson(c, inboundBody);
    const ctx = c.get("ctx");
    if (!seesAll(actorOf(c))) throw forbidden("admin_only", "Only an administrator can do this");
    const ch = await inbox.cachedChannel(ctx, b.channelId);
    if (ch?.type !== "api")
      throw new AppError(400, "not_an_api_channel", "channelId must name an API channel", { field: "channelId" });
    const phone = b.from.phone ? contacts.normalizePhone(b.from.phone, await country(c)) : null;
    const r = await inbox.ingestInbound(ctx, {
      channelId: ch.id,
      externalId: b.externalId,
      from: { ...b.from, phone },
      body: b.body,
    });
    return c.json(
      { data: { messageId: r.message.id, conversationId: r.conversationId, duplicate: r.duplicate } },
      r.duplicate ? 200 : 201,
    );
  });

  // ---- files
  doc(
    "POST",
    "/files",
    "Files",
    "Upload an attachment for a conversation (?conversationId=); returns an attachment to send",
    { multipart: true, query: z.object({ conversationId: idRef }) },
  );
  app.post("/files", async (c) => {
    const ctx = c.get("ctx");
    const { conversationId } = query(c, z.object({ conversationId: idRef }));
    await inbox.getConversation(ctx, actorOf(c), conversationId);
    const form = await formBody(c);
    const file = form.file;
    if (!(file instanceof File))
      throw new AppError(400, "file_required", "Send the file in a multipart field named file", { field: "file" });
    return c.json({ data: await ctx.files.save(file, conversationId, ctx.clock.now()) }, 201);
  });
  doc("GET", "/files/:id", "Files", "Download an attachment");
  app.get("/files/:id", async (c) => {
    const ctx = c.get("ctx");
    const f = await ctx.files.get(c.req.param("id"));
    if (!f || !(await fileVisibleTo(ctx.db, actorOf(c), f.row))) throw notFound("File");
    return fileResponse(f.file, f.row.mime, f.row.name);
  });

  // ---- tags, quick replies
  doc("GET", "/tags", "Tags", "List tags");
  app.get("/tags", async (c) => c.json({ data: await inbox.listTags(c.get("ctx")) }));
  doc("POST", "/tags", "Tags", "Create a tag", { body: inbox.tagInput });
  app.post("/tags", async (c) =>
    c.json({ data: await inbox.createTag(c.get("ctx"), actorOf(c), await readJson(c, inbox.tagInput)) }, 201),
  );
  doc("DELETE", "/tags/:id", "Tags", "Delete a tag");
  app.delete("/tags/:id", async (c) => {
    await inbox.deleteTag(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/quick-replies", "Quick replies", "List quick replies");
  app.get("/quick-replies", async (c) => c.json({ data: await inbox.listQuickReplies(c.get("ctx")) }));
  doc("POST", "/quick-replies", "Quick replies", "Create a quick reply", { body: inbox.quickReplyInput });
  app.post("/quick-replies", async (c) =>
    c.json(
      { data: await inbox.createQuickReply(c.get("ctx"), actorOf(c), await readJson(c, inbox.quickReplyInput)) },
      201,
    ),
  );
  doc("PATCH", "/quick-replies/:id", "Quick replies", "Update a quick reply", { body: inbox.quickReplyPatch });
  app.patch("/quick-replies/:id", async (c) =>
    c.json({
      data: await inbox.updateQuickReply(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, inbox.quickReplyPatch),
      ),
    }),
  );
  doc("DELETE", "/quick-replies/:id", "Quick replies", "Delete a quick reply");
  app.delete("/quick-replies/:id", async (c) => {
    await inbox.deleteQuickReply(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });

  // ---- team
  doc("GET", "/departments", "Team", "List departments");
  app.get("/departments", async (c) => c.json({ data: await auth.listDepartments(c.get("ctx")) }));
  doc("POST", "/departments", "Team", "Create a department", { body: auth.departmentInput });
  app.post("/departments", async (c) =>
    c.json(
      { data: await auth.createDepartment(c.get("ctx"), actorOf(c), await readJson(c, auth.departmentInput)) },
      201,
    ),
  );
  doc("PATCH", "/departments/:id", "Team", "Rename or describe a department", { body: auth.departmentPatch });
  app.patch("/departments/:id", async (c) => {
    await auth.updateDepartment(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, auth.departmentPatch));
    return c.json({ data: { ok: true } });
  });
  doc("DELETE", "/departments/:id", "Team", "Delete a department");
  app.delete("/departments/:id", async (c) => {
    await auth.deleteDepartment(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/users", "Team", "List users");
  app.get("/users", async (c) => {
    const list = await auth.listUsers(c.get("ctx"));
    return c.json({
      data: isAdmin(actorOf(c))
        ? list
        : list.filter((u) => u.active).map(({ id, name, role, departmentIds }) => ({ id, name, role, departmentIds })),
    });
  });
  doc("POST", "/users", "Team", "Create a user", { body: auth.userInput });
  app.post("/users", async (c) => {
    assertAdmin(actorOf(c));
    return c.json({ data: await auth.createUser(c.get("ctx"), await readJson(c, auth.userInput)) }, 201);
  });
  doc(
    "POST",
    "/users/:id/unlock-login",
    "Team",
    "Let a user's logins through again (failed attempts so far no longer slow them down)",
  );
  app.post("/users/:id/unlock-login", async (c) => {
    await auth.unlockLogin(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc("PATCH", "/users/:id", "Team", "Update a user", { body: auth.userPatch });
  app.patch("/users/:id", async (c) => {
    await auth.updateUser(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, auth.userPatch));
    return c.json({ data: { ok: true } });
  });

  doc("GET", "/team", "Team", "Each department's people (presence, open conversations, capacity) and queue", {});
  app.get("/team", async (c) => c.json({ data: await teamOverview(c.get("ctx"), actorOf(c)) }));
  doc("PUT", "/users/:id/availability", "Team", "Set a person's availability (their own, or as their supervisor)", {
    body: availabilityInput,
  });
  app.put("/users/:id/availability", async (c) =>
    c.json({
      data: await setAvailability(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, availabilityInput)),
    }),
  );

  // ---- API keys, channels (administrators)
  doc("GET", "/api-keys", "Admin", "List API keys");
  app.get("/api-keys", async (c) => {
    assertAdmin(actorOf(c));
    return c.json({ data: await auth.listApiKeys(c.get("ctx")) });
  });
  doc(
    "POST",
    "/api-keys",
    "Admin",
    "Create an API key (the key is returned once). scope: read (GET only, the default), inbox (conversations, contacts, messages, tickets, orders, appointments), admin (everything)",
    { body: auth.apiKeyInput },
  );
  app.post("/api-keys", async (c) =>
    c.json({ data: await auth.createApiKey(c.get("ctx"), actorOf(c), await readJson(c, auth.apiKeyInput)) }, 201),
  );
  doc("DELETE", "/api-keys/:id", "Admin", "Revoke an API key");
  app.delete("/api-keys/:id", async (c) => {
    await auth.revokeApiKey(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc("GET", "/channels", "Channels", "List channels");
  app.get("/channels", async (c) =>
    c.json({
      data: (await channels.listChannels(c.get("ctx"))).map((ch) =>
        isAdmin(actorOf(c)) ? channels.publicChannel(ch) : { id: ch.id, name: ch.name, type: ch.type },
      ),
    }),
  );
  doc("POST", "/channels", "Channels", "Create a channel", { body: channels.channelInput });
  app.post("/channels", async (c) =>
    c.json(
      {
        data: channels.publicChannel(
          await channels.createChannel(c.get("ctx"), actorOf(c), await readJson(c, channels.channelInput)),
        ),
      },
      201,
    ),
  );
  doc("PATCH", "/channels/:id", "Channels", "Update a channel (a secret left empty or as shown keeps its value)", {
    body: channels.channelPatch,
  });
  app.patch("/channels/:id", async (c) =>
    c.json({
      data: channels.publicChannel(
        await channels.updateChannel(
          c.get("ctx"),
          actorOf(c),
          c.req.param("id"),
          await readJson(c, channels.channelPatch),
        ),
      ),
    }),
  );
  // ---- AI model server (administrators)
  const adminOnly = (c: Context<Env>) => {
    assertAdmin(actorOf(c));
  };
  doc("GET", "/ai/settings", "AI", "The model server settings (the API key shown by its last 4 characters)");
  app.get("/ai/settings", async (c) => {
    adminOnly(c);
    return c.json({ data: ai.publicAiSettings(await ai.getAiSettings(c.get("ctx"))) });
  });
  doc(
    "PUT",
    "/ai/settings",
    "AI",
    "Change the model server settings (an API key left empty or as shown keeps its value)",
    { body: patchOf(ai.aiSettingsInput) },
  );
  app.put("/ai/settings", async (c) =>
    c.json({ data: await ai.saveAiSettings(c.get("ctx"), actorOf(c), await readJson(c, patchOf(ai.aiSettingsInput))) }),
  );
  doc("POST", "/ai/test", "AI", "Reach the model server: its models, and whether the chosen ones are there");
  app.post("/ai/test", async (c) => c.json({ data: await ai.testAi(c.get("ctx"), actorOf(c)) }));
  const pullBody = z.strictObject({ model: z.string().trim().min(1).max(200) });
  doc("POST", "/ai/pull", "AI", "Download an Ollama model in the background", { body: pullBody });
  app.post("/ai/pull", async (c) =>
    c.json({ data: await ai.startPull(c.get("ctx"), actorOf(c), (await readJson(c, pullBody)).model) }, 202),
  );
  doc("GET", "/ai/pull", "AI", "Progress of the model downloads");
  app.get("/ai/pull", async (c) => {
    adminOnly(c);
    return c.json({ data: ai.pullStatus(c.get("ctx")) });
  });

  // ---- WhatsApp by QR: pairing and live state
  doc(
    "GET",
    "/channels/:id/whatsapp",
    "Channels",
    "A QR-paired WhatsApp number's live state (state, qr to show, pairing code, last error)",
  );
  app.get("/channels/:id/whatsapp", async (c) => {
    const ch = await qr.qrChannel(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: qr.qrStatus(c.get("ctx"), ch.id) });
  });
  doc(
    "POST",
    "/channels/:id/whatsapp/pair",
    "Channels",
    "Start pairing the number (a QR appears in its state) or reconnect it",
  );
  app.post("/channels/:id/whatsapp/pair", async (c) =>
    c.json({ data: await qr.startPairing(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  const pairCode = z.strictObject({
    phone: z
      .string()
      .trim()
      .regex(/^\+?[\d\s()-]{8,20}$/, "a phone number with country code"),
  });
  doc(
    "POST",
    "/channels/:id/whatsapp/pair-code",
    "Channels",
    "Pair by phone number instead of QR: returns the code to type on the phone",
    { body: pairCode },
  );
  app.post("/channels/:id/whatsapp/pair-code", async (c) => {
    const b = await readJson(c, pairCode);
    return c.json({ data: { code: await qr.pairWithPhone(c.get("ctx"), actorOf(c), c.req.param("id"), b.phone) } });
  });
  doc("POST", "/channels/:id/whatsapp/logout", "Channels", "Log the number out of WhatsApp and forget its session");
  app.post("/channels/:id/whatsapp/logout", async (c) => {
    await qr.logoutNumber(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });

  doc(
    "DELETE",
    "/channels/:id",
    "Channels",
    "Delete a connection (its conversations keep their history; waiting replies fail; a QR number is logged out)",
  );
  app.delete("/channels/:id", async (c) =>
    c.json({ data: await channels.deleteChannel(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc(
    "POST",
    "/channels/:id/templates/sync",
    "Channels",
    "Read the WhatsApp message templates of the connection's business account",
  );
  app.post("/channels/:id/templates/sync", async (c) =>
    c.json({ data: await cloud.syncTemplates(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc(
    "GET",
    "/channels/:id/templates",
    "Channels",
    "The connection's message templates (name, language, status, body with {{n}} placeholders)",
  );
  app.get("/channels/:id/templates", async (c) =>
    c.json({ data: await cloud.listTemplates(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );

  app.route("/", agentRoutes(registry));
  app.route("/", automationRoutes(registry));
  app.route("/", libraryRoutes(registry));
  app.route("/", commerceRoutes(registry));
  app.route("/", ticketRoutes(registry));

  app.all("*", () => {
    throw new AppError(404, "not_found", "No such API endpoint");
  });
  return app;
}
