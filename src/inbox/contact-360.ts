// A contact's whole picture (manual 6.18, the 360° view): every conversation on every channel, tickets, orders,
// appointments, notes and a timeline; tags on the contact; and duplicates — suggested by the same phone or e-mail,
// merged keeping every identity and all history, the merge recorded.
import { z } from "zod";
import { and, desc, eq, inArray, ne, or, sql } from "drizzle-orm";
import {
  channels,
  contactIdentities,
  contactMerges,
  contactNotes,
  contactTags,
  contacts,
  conversations,
  tags,
} from "./schema.ts";
import { tickets } from "../tickets/schema.ts";
import { orders } from "../commerce/schema.ts";
import { appointments } from "../calendar/schema.ts";
import { automationRuns, automationTimers, csatSurveys, sequenceEnrolments } from "../automation/schema.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, forbidden, notFound } from "../platform/errors.ts";
import { assertAdmin, isAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { contactVisibleTo, visibleWhere } from "./visibility.ts";
import { ticketVisibleWhere } from "../tickets/service.ts";
import { actorRef, getContact } from "./contacts.ts";
import { idRef } from "../platform/validation.ts";

const who = (actor: Actor) =>
  actor.kind === "user" ? actor.name : actor.kind === "api_key" ? `API: ${actor.name}` : (actor.name ?? "DigyBot");

/** What a contact's page shows; 404 when the actor may not see the contact. */
export async function contact360(ctx: Ctx, actor: Actor, id: string) {
  const contact = await getContact(ctx, actor, id);
  const [convs, tks, ords, appts, notes, merges, idents, dups] = await Promise.all([
    ctx.db
      .select({
        id: conversations.id,
        status: conversations.status,
        channelName: channels.name,
        channelType: channels.type,
        preview: conversations.lastMessagePreview,
        lastMessageAt: conversations.lastMessageAt,
        createdAt: conversations.createdAt,
      })
      .from(conversations)
      .innerJoin(channels, eq(channels.id, conversations.channelId))
      .where(and(eq(conversations.contactId, id), visibleWhere(actor)))
      .orderBy(desc(conversations.lastMessageAt))
      .limit(100),
    ctx.db
      .select({
        id: tickets.id,
        number: tickets.number,
        subject: tickets.subject,
        status: tickets.status,
        createdAt: tickets.createdAt,
      })
      .from(tickets)
      .where(and(eq(tickets.contactId, id), ticketVisibleWhere(actor)))
      .orderBy(desc(tickets.number))
      .limit(100),
    ctx.db.select().from(orders).where(eq(orders.contactId, id)).orderBy(desc(orders.createdAt)).limit(100),
    ctx.db
      .select()
      .from(appointments)
      .where(eq(appointments.contactId, id))
      .orderBy(desc(appointments.startsAt))
      .limit(100),
    ctx.db
      .select()
      .from(contactNotes)
      .where(eq(contactNotes.contactId, id))
      .orderBy(desc(contactNotes.createdAt))
      .limit(200),
    ctx.db.select().from(contactMerges).where(eq(contactMerges.keptId, id)).orderBy(desc(contactMerges.at)),
    ctx.db
      .select({ channelName: channels.name, channelType: channels.type, externalId: contactIdentities.externalId })
      .from(contactIdentities)
      .innerJoin(channels, eq(channels.id, contactIdentities.channelId))
      .where(eq(contactIdentities.contactId, id)),
    duplicatesOf(ctx, actor, contact),
  ]);
  // one timeline of what happened with the person, newest first
  const timeline = [
    ...convs.map((c) => ({ at: c.createdAt, kind: "conversation" as const, text: c.channelName, ref: c.id })),
    ...tks.map((t) => ({ at: t.createdAt, kind: "ticket" as const, text: `#${t.number} ${t.subject}`, ref: t.id })),
    ...ords.map((o) => ({ at: o.createdAt, kind: "order" as const, text: o.number, ref: o.id })),
    ...appts.map((a) => ({ at: a.createdAt, kind: "appointment" as const, text: a.service, ref: a.id })),
    ...notes.map((n) => ({ at: n.createdAt, kind: "note" as const, text: n.body.slice(0, 120), ref: n.id })),
    ...merges.map((m) => ({
      at: m.at,
      kind: "merge" as const,
      text: m.merged.name || m.merged.phone || m.merged.email || "",
      ref: m.id,
    })),
  ]
    .sort((a, b) => b.at - a.at)
    .slice(0, 100);
  return {
    contact,
    conversations: convs,
    tickets: tks,
    orders: ords,
    appointments: appts,
    notes,
    merges,
    identities: idents,
    duplicates: dups,
    timeline,
  };
}

/** Other contacts with the same phone or e-mail that the actor may see (offered as a merge, never merged silently). */
export async function duplicatesOf(
  ctx: Ctx,
  actor: Actor,
  c: { id: string; phone: string | null; email: string | null },
) {
  if (!c.phone && !c.email) return [];
  const same = or(c.phone ? eq(contacts.phone, c.phone) : undefined, c.email ? eq(contacts.email, c.email) : undefined);
  const rows = await ctx.db
    .select({ id: contacts.id, name: contacts.name, phone: contacts.phone, email: contacts.email })
    .from(contacts)
    .where(and(same, ne(contacts.id, c.id)))
    .limit(20);
  const out = [];
  for (const r of rows) if (await contactVisibleTo(ctx.db, actor, r.id)) out.push(r);
  return out;
}

/** Pairs of contacts that share a phone or an e-mail, for an administrator to review (the contacts page lists them). */
export async function duplicateGroups(ctx: Ctx, actor: Actor, limit = 50) {
  assertAdmin(actor);
  const byPhone = await ctx.db
    .select({ key: contacts.phone, ids: sql<string>`group_concat(${contacts.id})`, n: sql<number>`count(*)` })
    .from(contacts)
    .where(sql`${contacts.phone} IS NOT NULL`)
    .groupBy(contacts.phone)
    .having(sql`count(*) > 1`)
    .limit(limit);
  const byEmail = await ctx.db
    .select({ key: contacts.email, ids: sql<string>`group_concat(${contacts.id})`, n: sql<number>`count(*)` })
    .from(contacts)
    .where(sql`${contacts.email} IS NOT NULL`)
    .groupBy(contacts.email)
    .having(sql`count(*) > 1`)
    .limit(limit);
  const groups = [
    ...byPhone.map((g) => ({ by: "phone" as const, ...g })),
    ...byEmail.map((g) => ({ by: "email" as const, ...g })),
  ];
  const ids = [...new Set(groups.flatMap((g) => g.ids.split(",")))];
  const people = ids.length
    ? await ctx.db
        .select({ id: contacts.id, name: contacts.name, phone: contacts.phone, email: contacts.email })
        .from(contacts)
        .where(inArray(contacts.id, ids))
    : [];
  return groups.map((g) => ({
    by: g.by,
    value: g.key!,
    contacts: g.ids
      .split(",")
      .map((i) => people.find((p) => p.id === i)!)
      .filter(Boolean),
  }));
}

export const mergeContactInput = z.strictObject({ mergedId: idRef });

/**
 * Merges a duplicate into a contact, in one transaction: the duplicate's channel identities, conversations,
 * tickets, orders, appointments, notes, tags, surveys, sequences and automation runs become the kept contact's;
 * the kept one's name, phone, e-mail and attributes win, missing ones are filled from the duplicate; the merge is
 * recorded (with the duplicate as it was) and the duplicate is removed. Administrators and supervisors, on two
 * contacts they can both see.
 */
export async function mergeContacts(ctx: Ctx, actor: Actor, keptId: string, input: z.input<typeof mergeContactInput>) {
  const { mergedId } = mergeContactInput.parse(input);
  if (mergedId === keptId)
    throw badRequest("contact_merge_itself", "A contact cannot be merged into itself", {
      field: "mergedId",
    });
  if (!(isAdmin(actor) || (actor.kind === "user" && actor.role === "supervisor")))
    throw forbidden("not_your_team", "Only an administrator or a supervisor can merge contacts");
  if (!(await contactVisibleTo(ctx.db, actor, keptId))) throw notFound("Contact");
  if (!(await contactVisibleTo(ctx.db, actor, mergedId)))
    throw badRequest("unknown_contact", "No contact with that id that you can see", { field: "mergedId" });
  const now = ctx.clock.now();
  await ctx.database.write(async (tx, after) => {
    const kept = await tx.select().from(contacts).where(eq(contacts.id, keptId)).get();
    const dup = await tx.select().from(contacts).where(eq(contacts.id, mergedId)).get();
    if (!kept) throw notFound("Contact");
    if (!dup) throw badRequest("unknown_contact", "No contact with that id that you can see", { field: "mergedId" });
    const move = (table: { contactId: unknown }) =>
      tx
        .update(table as typeof conversations)
        .set({ contactId: keptId } as never)
        .where(eq((table as typeof conversations).contactId, mergedId));
    await move(contactIdentities);
    await move(conversations);
    await move(tickets);
    await move(orders);
    await move(appointments);
    await move(contactNotes);
    await move(csatSurveys);
    await move(automationRuns);
    await move(automationTimers);
    // a sequence both are in: the duplicate's enrolment ends (one person, one enrolment)
    const keptSeqs = await tx
      .select({ s: sequenceEnrolments.sequenceId })
      .from(sequenceEnrolments)
      .where(and(eq(sequenceEnrolments.contactId, keptId), eq(sequenceEnrolments.status, "active")));
    if (keptSeqs.length)
      await tx
        .update(sequenceEnrolments)
        .set({ status: "removed" })
        .where(
          and(
            eq(sequenceEnrolments.contactId, mergedId),
            eq(sequenceEnrolments.status, "active"),
            inArray(
              sequenceEnrolments.sequenceId,
              keptSeqs.map((k) => k.s),
            ),
          ),
        );
    await move(sequenceEnrolments);
    const dupTags = await tx.select().from(contactTags).where(eq(contactTags.contactId, mergedId));
    for (const t of dupTags)
      await tx
        .insert(contactTags)
        .values({ ...t, contactId: keptId })
        .onConflictDoNothing();
    await tx.delete(contactTags).where(eq(contactTags.contactId, mergedId));
    await tx
      .update(contacts)
      .set({
        name: kept.name || dup.name,
        phone: kept.phone ?? dup.phone,
        email: kept.email ?? dup.email,
        attributes: { ...dup.attributes, ...kept.attributes },
        updatedAt: now,
      })
      .where(eq(contacts.id, keptId));
    await tx.insert(contactMerges).values({
      id: newId(now),
      keptId,
      mergedId,
      merged: { name: dup.name, phone: dup.phone, email: dup.email, attributes: dup.attributes },
      byName: who(actor),
      at: now,
    });
    await tx.delete(contacts).where(eq(contacts.id, mergedId));
    await ctx.events.record(tx, after, {
      type: "contacts.merged",
      actor: actorRef(actor),
      data: { contactId: keptId, mergedId },
    });
  });
  return getContact(ctx, actor, keptId);
}

export const noteInput = z.strictObject({ body: z.string().trim().min(1).max(4000) });

/** A note on a contact, by whoever may see the contact. */
export async function addContactNote(ctx: Ctx, actor: Actor, contactId: string, input: z.input<typeof noteInput>) {
  const { body } = noteInput.parse(input);
  if (!(await contactVisibleTo(ctx.db, actor, contactId))) throw notFound("Contact");
  const row = {
    id: newId(ctx.clock.now()),
    contactId,
    authorId: "id" in actor ? (actor.id ?? null) : null,
    authorName: who(actor),
    body,
    createdAt: ctx.clock.now(),
  };
  await ctx.database.write((tx) => tx.insert(contactNotes).values(row));
  return row;
}

/** Puts a tag on a contact or takes it off (whoever may see the contact). */
export async function tagContact(ctx: Ctx, actor: Actor, contactId: string, tagId: string, on: boolean) {
  if (!(await contactVisibleTo(ctx.db, actor, contactId))) throw notFound("Contact");
  await ctx.database.write(async (tx, after) => {
    const t = await tx.select({ id: tags.id }).from(tags).where(eq(tags.id, tagId)).get();
    if (!t) throw badRequest("unknown_tag", "The tag does not exist", { field: "tagId" });
    if (on) await tx.insert(contactTags).values({ contactId, tagId }).onConflictDoNothing();
    else await tx.delete(contactTags).where(and(eq(contactTags.contactId, contactId), eq(contactTags.tagId, tagId)));
    await ctx.events.record(tx, after, {
      type: "contacts.updated",
      actor: actorRef(actor),
      data: { contactId, fields: ["tags"] },
    });
  });
}

/**
 * Deletes a contact with everything of theirs (conversations and their messages go with it): the person's
 * right to be forgotten. Administrators only.
 */
export async function deleteContact(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx, after) => {
    const r = await tx.delete(contacts).where(eq(contacts.id, id)).returning({ id: contacts.id });
    if (!r.length) throw notFound("Contact");
    for (const table of [tickets, orders, appointments])
      await tx
        .update(table as typeof tickets)
        .set({ contactId: null } as never)
        .where(eq((table as typeof tickets).contactId, id));
    // what only followed the person goes with them
    await tx.delete(csatSurveys).where(eq(csatSurveys.contactId, id));
    await tx.delete(sequenceEnrolments).where(eq(sequenceEnrolments.contactId, id));
    await tx.delete(automationTimers).where(eq(automationTimers.contactId, id));
    await ctx.events.record(tx, after, { type: "contacts.deleted", actor: actorRef(actor), data: { contactId: id } });
  });
}
