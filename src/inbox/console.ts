import { streamSSE } from "hono/streaming";
import { listItems } from "../library/service.ts";
import { AppError } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { waiter } from "../platform/realtime.ts";
import { isAdmin, type Ctx } from "../platform/context.ts";
import { translator } from "../../ui/i18n/index.ts";
import { renderFragment, html } from "../../ui/components/html.ts";
import { InboxPage, ListRows, MessageItems, ConvHeader, ViewTabs, type Filters } from "../../ui/pages/inbox/inbox.ts";
import { SimpleListSettings } from "../../ui/components/settings.ts";
import * as auth from "../auth/service.ts";
import * as inbox from "./service.ts";
import * as contacts from "./contacts.ts";
import { canSee } from "./visibility.ts";
import { connectConsole } from "./assignment.ts";
import * as channels from "../channels/service.ts";
import * as cloud from "../channels/whatsapp-cloud/service.ts";
import { templateMediaHeader } from "../channels/types.ts";
import { onboardingFor } from "../setup/onboarding.ts";
import type { ConsoleUser as U } from "../app/console.ts";
import {
  type ConsoleModule,
  type C,
  type Form,
  user,
  T,
  csrf,
  pid,
  str,
  count,
  page,
  settingsPage,
  act,
} from "../app/console.ts";
import { sequencePanel, surveyOf } from "../automation/index.ts";

/** The inbox (views, list, conversation, live updates), contacts, and the inbox's settings: tags and quick replies. */
export const inboxConsole: ConsoleModule = (app) => {
  app.get("/", (c) => c.redirect("/inbox"));
  const filtersOf = (c: C): Filters & { before?: string; c?: string } => {
    const q = c.req.query();
    // an agent starts on her own conversations; an administrator on all of them
    const view = ["all", "mine", "unassigned", "bot", "queue"].includes(q.view ?? "")
      ? q.view!
      : isAdmin(user(c))
        ? "all"
        : "mine";
    const status = ["open", "pending", "snoozed", "resolved", "any"].includes(q.status ?? "") ? q.status! : "open";
    return {
      view,
      status,
      departmentId: q.departmentId || undefined,
      tagId: q.tagId || undefined,
      channelId: q.channelId || undefined,
      q: q.q || undefined,
      before: q.before || undefined,
      c: q.c || undefined,
    };
  };
  const listOf = async (ctx: Ctx, u: U, f: ReturnType<typeof filtersOf>) =>
    inbox.listConversations(ctx, u, {
      view: f.view as never,
      status: f.status as never,
      departmentId: f.departmentId,
      tagId: f.tagId,
      channelId: f.channelId,
      q: f.q,
      before: f.before,
    });
  const lookups = async (ctx: Ctx) => {
    const [users, departments, tags, chans, quickReplies, media] = await Promise.all([
      auth.listUsers(ctx),
      auth.listDepartments(ctx),
      inbox.listTags(ctx),
      channels.listChannels(ctx),
      inbox.listQuickReplies(ctx),
      listItems(ctx, { kind: "system" }),
    ]);
    const title = new Map(media.map((m) => [m.id, m.title]));
    return {
      users: users.filter((x) => x.active).map((x) => ({ id: x.id, name: x.name })),
      departments: departments.map((d) => ({ id: d.id, name: d.name })),
      tags,
      channels: chans.map((x) => ({ id: x.id, name: x.name })),
      // each with the library files it sends (one removed from the library is left out)
      quickReplies: quickReplies.map((q) => ({
        shortcut: q.shortcut,
        body: q.body,
        files: q.media.filter((id) => title.has(id)).map((id) => ({ id, title: title.get(id)! })),
      })),
    };
  };

  // the people a note in this conversation can name with @: the active team who can see it, not oneself
  const mentionable = async (ctx: Ctx, u: U, conv: { assigneeId: string | null; departmentId: string | null }) =>
    (await auth.listUsers(ctx))
      .filter((p) => p.active && p.id !== u.id && canSee({ kind: "user", ...p }, conv))
      .map((p) => ({ id: p.id, name: p.name }));

  app.get("/inbox", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const t = translator(u.locale);
    const f = filtersOf(c);
    const list = await listOf(ctx, u, f);
    let conv = null,
      messages: inbox.Message[] = [],
      past: Awaited<ReturnType<typeof contacts.contactConversations>> = [];
    let templates: { name: string; language: string; params: number; body: string; header: string | null }[] = [],
      windowClosed = false;
    let headerFiles: { id: string; title: string; kind: string }[] = [];
    let interactive: { maxButtons: number; maxListRows: number } | undefined;
    let survey: Awaited<ReturnType<typeof surveyOf>> = null;
    let sequences: Awaited<ReturnType<typeof sequencePanel>> | undefined;
    if (f.c) {
      try {
        conv = await inbox.getConversation(ctx, u, f.c);
      } catch (e) {
        if (!(e instanceof AppError && e.status === 404)) throw e;
      }
      if (conv) {
        survey = await surveyOf(ctx, u, conv.id);
        messages = await inbox.listMessages(ctx, u, conv.id, { limit: 200 });
        past = await contacts.contactConversations(ctx, u, conv.contactId);
        sequences = await sequencePanel(ctx, u, conv.id);
        const caps = ctx.channels.get(conv.channel.type)?.capabilities;
        if (caps?.templates)
          templates = (await cloud.listTemplates(ctx, u, conv.channelId))
            .filter((x) => x.status === "APPROVED")
            .map((x) => ({ ...x, header: templateMediaHeader(x.components) }));
        // a template with a media header takes it from the library
        if (templates.some((x) => x.header))
          headerFiles = (await listItems(ctx, u)).map((x) => ({ id: x.id, title: x.title, kind: x.kind }));
        interactive = caps?.interactive;
        if (caps?.replyWindowHours)
          windowClosed = (conv.lastInboundAt ?? 0) + caps.replyWindowHours * 3_600_000 < ctx.clock.now();
      }
    }
    const counts = await inbox.countViews(ctx, u, f.status as never);
    const steps = isAdmin(u) && !f.c ? await onboardingFor(ctx) : null;
    return page(
      c,
      t("nav.inbox"),
      "inbox",
      InboxPage({
        t,
        locale: u.locale,
        filters: f,
        counts,
        onboarding: steps,
        csrf: c.get("csrf")!,
        items: list.items as never,
        next: list.next,
        conv: (conv ? { ...conv, survey } : null) as never,
        messages,
        past,
        sequences,
        isAdmin: isAdmin(u),
        templates,
        headerFiles,
        windowClosed,
        interactive,
        mentionable: conv ? await mentionable(ctx, u, conv) : [],
        ...(await lookups(ctx)),
      }),
    );
  });

  app.get("/partials/inbox-list", async (c) => {
    const u = user(c);
    const f = filtersOf(c);
    const list = await listOf(c.get("ctx"), u, f);
    return c.html(
      renderFragment(
        ListRows({
          items: list.items as never,
          t: translator(u.locale),
          locale: u.locale,
          filters: f,
          openId: f.c,
          next: list.next,
        }),
      ),
    );
  });
  app.get("/partials/inbox-tabs", async (c) => {
    const u = user(c);
    const f = filtersOf(c);
    return c.html(
      renderFragment(
        ViewTabs({
          t: translator(u.locale),
          filters: f,
          counts: await inbox.countViews(c.get("ctx"), u, f.status as never),
        }),
      ),
    );
  });
  app.get("/partials/messages/:id", async (c) => {
    const u = user(c);
    const ctx = c.get("ctx");
    const msgs = await inbox.listMessages(ctx, u, c.req.param("id"), {
      after: c.req.query("after") || undefined,
      limit: 200,
    });
    return c.html(
      renderFragment(MessageItems({ messages: msgs, t: translator(u.locale), locale: u.locale, isAdmin: isAdmin(u) })),
    );
  });
  app.get("/partials/conversation-header/:id", async (c) => {
    const u = user(c);
    const ctx = c.get("ctx");
    const conv = await inbox.getConversation(ctx, u, c.req.param("id"));
    const survey = await surveyOf(ctx, u, conv.id);
    return c.html(
      renderFragment(ConvHeader({ c: { ...conv, survey } as never, t: translator(u.locale), ...(await lookups(ctx)) })),
    );
  });

  // Live updates for this user: only events about conversations they may see (before or after the change).
  app.get("/console/events", (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    return streamSSE(c, async (stream) => {
      let open = true;
      const queue: string[] = [];
      const w = waiter();
      const remove = ctx.hub.add({
        id: newId(),
        kind: "user",
        principal: u.id,
        filter: (_e, d) => {
          const x = d as {
            assigneeId: string | null;
            departmentId: string | null;
            previous?: { assigneeId: string | null; departmentId: string | null };
            team?: boolean;
          };
          // a team event says only who changed presence: every console may hear it
          if (x.team) return true;
          return canSee(u, x) || (!!x.previous && canSee(u, x.previous));
        },
        send: (event, data) => {
          queue.push(JSON.stringify({ event, ...(data as object) }));
          w.wake();
        },
        close: () => {
          open = false;
          w.wake();
        },
      });
      // an open console is what makes its person present (src/inbox/assignment.ts)
      const leave = connectConsole(ctx, u.id);
      stream.onAbort(() => {
        open = false;
        remove();
        leave();
        w.wake();
      });
      await stream.writeSSE({ event: "ready", data: "{}" });
      while (open) {
        if (queue.length) await stream.writeSSE({ event: "inbox", data: `[${queue.splice(0).join(",")}]` });
        await w.wait(15_000);
        if (!queue.length && open) await stream.writeSSE({ event: "ping", data: "{}" });
      }
      remove();
      leave();
    });
  });

  // (contacts: src/inbox/contacts-console.ts)
  const tagsView = async (c: C) =>
    SimpleListSettings({
      t: T(c),
      csrf: csrf(c),
      title: T(c)("settings.tags"),
      rows: await inbox.listTags(c.get("ctx")),
      empty: T(c)("tags.empty"),
      editFields: (r) => [
        { name: "name", label: T(c)("common.name"), value: String(r.name) },
        { name: "color", label: T(c)("tags.color"), type: "color", value: String(r.color) },
      ],
      confirmOf: (
        (u) => (r: Record<string, unknown>) =>
          T(c)("tags.deleteConfirm", {
            name: String(r.name),
            conversations: count(c, "count.conversations", u.tagConversations.get(String(r.id)) ?? 0),
          })
      )(await inbox.usageCounts(c.get("ctx"))),
      cols: [
        {
          key: "name",
          label: T(c)("common.name"),
          render: (r) => html`<span class="tag" style=${`background:${r.color}`}>${r.name}</span>`,
        },
      ],
      createAction: "/settings/tags",
      deleteBase: "/settings/tags",
      fields: [
        { name: "name", label: T(c)("common.name") },
        { name: "color", label: T(c)("tags.color"), type: "color", value: "#0f766e" },
      ],
    });
  app.get("/settings/tags", async (c) => settingsPage(c, "tags", await tagsView(c)));
  app.post(
    "/settings/tags",
    act("tags", tagsView, (c, f) =>
      inbox.createTag(c.get("ctx"), user(c), { name: str(f.name), color: str(f.color) || undefined }),
    ),
  );
  app.post(
    "/settings/tags/:id/delete",
    act("tags", tagsView, (c) => inbox.deleteTag(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/tags/:id",
    act("tags", tagsView, (c, f) =>
      inbox.updateTag(c.get("ctx"), user(c), pid(c), {
        name: str(f.name),
        ...(str(f.color) ? { color: str(f.color) } : {}),
      }),
    ),
  );

  const qrView = async (c: C) => {
    const media = (await listItems(c.get("ctx"), user(c))).map((x) => ({ id: x.id, name: x.title }));
    const files = { none: T(c)("lib.none"), list: media };
    const title = new Map(media.map((m) => [m.id, m.name]));
    return SimpleListSettings({
      t: T(c),
      csrf: csrf(c),
      title: T(c)("settings.quickReplies"),
      rows: await inbox.listQuickReplies(c.get("ctx")),
      empty: T(c)("qr.empty"),
      editFields: (r) => [
        { name: "shortcut", label: T(c)("qr.shortcut"), value: String(r.shortcut) },
        { name: "body", label: T(c)("qr.body"), textarea: true, value: String(r.body) },
        { name: "media", label: T(c)("lib.pick"), options: files, value: (r.media as string[])[0] ?? "" },
      ],
      confirmOf: (r) => T(c)("qr.deleteConfirm", { shortcut: String(r.shortcut) }),
      cols: [
        { key: "shortcut", label: T(c)("qr.shortcut"), render: (r) => `/${r.shortcut}` },
        { key: "body", label: T(c)("qr.body") },
        {
          key: "media",
          label: T(c)("settings.library"),
          render: (r) =>
            (r.media as string[])
              .map((id) => title.get(id))
              .filter(Boolean)
              .map((x) => `📎 ${x}`)
              .join(", ") || "—",
        },
      ],
      createAction: "/settings/quick-replies",
      deleteBase: "/settings/quick-replies",
      fields: [
        { name: "shortcut", label: T(c)("qr.shortcut") },
        { name: "body", label: T(c)("qr.body"), textarea: true },
        { name: "media", label: T(c)("lib.pick"), options: files },
      ],
    });
  };
  const media = (f: Form) => (str(f.media) ? [str(f.media)] : []);
  app.get("/settings/quick-replies", async (c) => settingsPage(c, "quick-replies", await qrView(c)));
  app.post(
    "/settings/quick-replies",
    act("quick-replies", qrView, (c, f) =>
      inbox.createQuickReply(c.get("ctx"), user(c), { shortcut: str(f.shortcut), body: str(f.body), media: media(f) }),
    ),
  );
  app.post(
    "/settings/quick-replies/:id/delete",
    act("quick-replies", qrView, (c) => inbox.deleteQuickReply(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/quick-replies/:id",
    act("quick-replies", qrView, (c, f) =>
      inbox.updateQuickReply(c.get("ctx"), user(c), pid(c), {
        shortcut: str(f.shortcut),
        body: str(f.body),
        media: media(f),
      }),
    ),
  );
};
