import * as UI from "../../ui/pages/automation/sequences.ts";
import { AppError } from "../platform/errors.ts";
import { formBody } from "../app/http.ts";
import * as inbox from "../inbox/service.ts";
import { approvedTemplates } from "../channels/whatsapp-cloud/service.ts";
import {
  type ConsoleModule,
  type C,
  type Form,
  user,
  T,
  csrf,
  pid,
  str,
  arr,
  settingsPage,
  statusOf,
} from "../app/console.ts";
import * as seq from "./sequences.ts";
import { refusalText } from "./console.ts";
import { listItems } from "../library/service.ts";

const UNIT = { min: 1, h: 60, d: 1440 } as const;

/** The form as a sequence: what the editor sent, valid or not (a refused save shows it again). */
export function sequenceDraftOf(f: Form, id?: string): UI.SequenceDraft {
  const [delays, units, afters, texts, alts, tpls, tplps, tplhs, medias, buttons] = [
    arr(f.s_delay),
    arr(f.s_unit),
    arr(f.s_after),
    arr(f.s_text),
    arr(f.s_alt),
    arr(f.s_tpl),
    arr(f.s_tplp),
    arr(f.s_tplh),
    arr(f.s_media),
    arr(f.s_buttons),
  ];
  const steps = delays.map((d, i): UI.StepDraft => {
    const n = d.trim() === "" ? Number.NaN : Number(d);
    const unit = (units[i] ?? "min") as keyof typeof UNIT;
    const [name, language] = (tpls[i] ?? "").split("|");
    const titles = (buttons[i] ?? "")
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean);
    return {
      ...(medias[i] ? { media: [medias[i]] } : {}),
      ...(titles.length ? { buttons: titles.map((title, k) => ({ id: `b${k + 1}`, title })) } : {}),
      delayMinutes: Number.isFinite(n) ? n * (UNIT[unit] ?? 1) : d,
      after: afters[i] === "enrolment" ? "enrolment" : "previous",
      variations: [texts[i] ?? "", alts[i] ?? ""].map((x) => x.trim()).filter(Boolean),
      ...(name && language
        ? {
            template: {
              name,
              language,
              params: (tplps[i] ?? "")
                .split(",")
                .map((x) => x.trim())
                .filter(Boolean),
              ...(tplhs[i] ? { header: tplhs[i] } : {}),
            },
          }
        : {}),
    };
  });
  return {
    id,
    name: str(f.name).trim(),
    enabled: !!str(f.enabled),
    steps,
    window: {
      days: arr(f.w_days).map(Number),
      from: str(f.w_from) || "09:00",
      to: str(f.w_to) || "19:00",
      businessHours: !!str(f.w_business),
      contactTimeZone: !!str(f.w_contact_tz),
    },
    exits: {
      replied: !!str(f.x_replied),
      humanTook: !!str(f.x_human),
      orderPlaced: !!str(f.x_order),
      tagIds: arr(f.x_tags),
    },
  };
}

/** Where a refusal points, in the person's words: "Paso 2", "Horario de envío". */
const refusal = (c: C, e: unknown) =>
  refusalText(c, e, (t, path) => {
    const s = /^steps\.(\d+)/.exec(path);
    if (s) return t("seq.stepN", { n: String(Number(s[1]) + 1) });
    if (path.startsWith("window")) return t("seq.window");
    if (path.startsWith("exits")) return t("seq.exits");
    if (path === "name") return t("common.name");
    return path;
  });

const blank: UI.SequenceDraft = {
  name: "",
  enabled: true,
  steps: [{ delayMinutes: 0, after: "previous", variations: [] }],
  window: { days: [1, 2, 3, 4, 5], from: "09:00", to: "19:00", businessHours: false, contactTimeZone: true },
  exits: { replied: true, humanTook: true, orderPlaced: true, tagIds: [] },
};

export const sequencesConsole: ConsoleModule = (app) => {
  const editorView = async (
    c: C,
    draft: UI.SequenceDraft,
    imported?: Parameters<typeof UI.SequenceEditor>[0]["imported"],
  ) => {
    const ctx = c.get("ctx");
    const templates = await approvedTemplates(ctx);
    return UI.SequenceEditor({
      t: T(c),
      csrf: csrf(c),
      draft,
      tags: (await inbox.listTags(ctx)).map((g) => ({ id: g.id, name: g.name })),
      templates,
      media: (await listItems(ctx, user(c))).map((x) => ({ id: x.id, name: x.title })),
      stats: draft.id ? await seq.sequenceStats(ctx, user(c), draft.id) : undefined,
      enrolments: draft.id ? ((await seq.listEnrolments(ctx, user(c), draft.id)).items as never) : undefined,
      locale: user(c).locale,
      imported,
    });
  };
  const listView = async (c: C) =>
    UI.SequenceList({ t: T(c), csrf: csrf(c), rows: (await seq.listSequences(c.get("ctx"), user(c))) as never });

  app.get("/settings/sequences", async (c) => settingsPage(c, "sequences", await listView(c)));
  app.get("/settings/sequences/new", async (c) => settingsPage(c, "sequences", await editorView(c, blank)));
  app.post("/settings/sequences", async (c) => {
    const draft = sequenceDraftOf(await formBody(c, { all: true }));
    try {
      const { id: _id, ...input } = draft;
      const s = await seq.createSequence(c.get("ctx"), user(c), input);
      return c.redirect(`/settings/sequences/${s.id}?saved=1`);
    } catch (e) {
      return settingsPage(c, "sequences", await editorView(c, draft), refusal(c, e), undefined, statusOf(e, 400));
    }
  });
  app.get("/settings/sequences/:id", async (c) => {
    const s = await seq.getSequence(c.get("ctx"), user(c), pid(c));
    return settingsPage(c, "sequences", await editorView(c, s as never));
  });
  app.post("/settings/sequences/:id", async (c) => {
    const draft = sequenceDraftOf(await formBody(c, { all: true }), pid(c));
    try {
      const { id: _id, ...patch } = draft;
      await seq.updateSequence(c.get("ctx"), user(c), pid(c), patch);
      return c.redirect(`/settings/sequences/${pid(c)}?saved=1`);
    } catch (e) {
      return settingsPage(c, "sequences", await editorView(c, draft), refusal(c, e), undefined, statusOf(e, 400));
    }
  });
  app.post("/settings/sequences/:id/toggle", async (c) => {
    const s = await seq.getSequence(c.get("ctx"), user(c), pid(c));
    await seq.updateSequence(c.get("ctx"), user(c), s.id, { enabled: !s.enabled });
    return c.redirect("/settings/sequences?saved=1");
  });
  app.post("/settings/sequences/:id/delete", async (c) => {
    await seq.deleteSequence(c.get("ctx"), user(c), pid(c));
    return c.redirect("/settings/sequences?saved=1");
  });
  app.post("/settings/sequences/:id/remove/:contactId", async (c) => {
    await seq.unenrol(c.get("ctx"), user(c), pid(c), c.req.param("contactId"));
    return c.redirect(`/settings/sequences/${pid(c)}?saved=1`);
  });
  app.post("/settings/sequences/:id/import", async (c) => {
    const ctx = c.get("ctx");
    const s = await seq.getSequence(ctx, user(c), pid(c));
    const f = await formBody(c);
    const file = f.file;
    try {
      if (!(file instanceof File) || !file.size)
        throw new AppError(400, "csv_empty", "The CSV file is empty", { field: "file" });
      if (file.size > 5_000_000) throw new AppError(413, "file_too_large", "The file is too large", { max: 5_000_000 });
      const r = await seq.enrolCsv(ctx, user(c), s.id, await file.text());
      return settingsPage(c, "sequences", await editorView(c, s as never, r));
    } catch (e) {
      return settingsPage(c, "sequences", await editorView(c, s as never), refusal(c, e), undefined, statusOf(e, 400));
    }
  });

  // from a conversation (any person who sees it): its contact in or out of a sequence, then back to it
  const back = (c: C) => c.redirect(`/inbox?status=any&c=${encodeURIComponent(pid(c))}`);
  app.post("/inbox/:id/sequences", async (c) => {
    const f = await formBody(c);
    await seq.enrol(c.get("ctx"), user(c), str(f.sequenceId), { conversationId: pid(c) }, "console");
    return back(c);
  });
  app.post("/inbox/:id/sequences/:sequenceId/remove", async (c) => {
    const ctx = c.get("ctx");
    const conv = await inbox.getConversation(ctx, user(c), pid(c));
    await seq.unenrol(ctx, user(c), c.req.param("sequenceId"), conv.contactId);
    return back(c);
  });
};
