// The boards' console: the list, a board (filters, figures, columns, moving a card by dragging it or with its own
// control), the fragment a live refresh swaps in, and what a board's leaders change (filters, columns, deleting).
import { formBody } from "../app/http.ts";
import { type ConsoleModule, type C, user, T, csrf, str, arr, page, errText, statusOf } from "../app/console.ts";
import { AppError } from "../platform/errors.ts";
import { isAdmin, leadsDepartment } from "../platform/context.ts";
import { html, renderFragment } from "../../ui/components/html.ts";
import { BoardCard, BoardColumns, BoardPage, BoardsPage, type BoardData } from "../../ui/pages/tickets/boards.ts";
import * as boards from "./boards.ts";
import * as auth from "../auth/service.ts";
import { listTags } from "../inbox/service.ts";
import { listChannels } from "../channels/service.ts";

const FILTERS = ["priority", "assignee", "tagId", "channelId", "departmentId"] as const;
const askedOf = (c: C) => Object.fromEntries(FILTERS.map((k) => [k, c.req.query(k) ?? ""]).filter(([, v]) => v));
/** A refused form's reason, or the error itself when it is not one a person can act on. */
const refusal = (e: unknown) => e instanceof AppError || (e instanceof Error && e.name === "ZodError");

export const boardsConsole: ConsoleModule = (app) => {
  const listPage = async (c: C, error?: string, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const departments = (await auth.listDepartments(ctx)).map((d) => ({ id: d.id, name: d.name }));
    return page(
      c,
      T(c)("boards.title"),
      "boards",
      BoardsPage({
        t: T(c),
        csrf: csrf(c),
        boards: await boards.listBoards(ctx, u),
        // a supervisor makes boards for her departments only
        departments: isAdmin(u) ? departments : departments.filter((d) => leadsDepartment(u, d.id)),
        canCreate: isAdmin(u) || u.role === "supervisor",
        error,
      }),
      status,
    );
  };
  app.get("/boards", (c) => listPage(c));
  app.post("/boards", async (c) => {
    const f = await formBody(c);
    try {
      const b = await boards.createBoard(c.get("ctx"), user(c), {
        name: str(f.name),
        kind: str(f.kind) as never,
        departmentId: str(f.departmentId) || null,
      });
      return c.redirect(`/boards/${b.id}`);
    } catch (e) {
      if (!refusal(e)) throw e;
      return listPage(c, errText(e, T(c)), statusOf(e, 400));
    }
  });

  const lookups = async (c: C) => {
    const ctx = c.get("ctx");
    const [users, tags, chans, depts] = await Promise.all([
      auth.listUsers(ctx),
      listTags(ctx),
      listChannels(ctx),
      auth.listDepartments(ctx),
    ]);
    return {
      people: users.filter((u) => u.active).map((u) => ({ id: u.id, name: u.name })),
      tags: tags.map((x) => ({ id: x.id, name: x.name })),
      channels: chans.map((x) => ({ id: x.id, name: x.name })),
      departments: depts.map((x) => ({ id: x.id, name: x.name })),
    };
  };
  const boardPage = async (c: C, id: string, msg: { flash?: string; error?: string } = {}, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const data = (await boards.readBoard(ctx, u, id, askedOf(c))) as unknown as BoardData;
    return page(
      c,
      data.board.name,
      "boards",
      BoardPage({
        t: T(c),
        csrf: csrf(c),
        locale: u.locale,
        now: ctx.clock.now(),
        data,
        leads: isAdmin(u) || (!!data.board.departmentId && leadsDepartment(u, data.board.departmentId)),
        ...(await lookups(c)),
        ...msg,
      }),
      status,
    );
  };
  app.get("/boards/:id", (c) =>
    boardPage(c, c.req.param("id"), c.req.query("saved") ? { flash: T(c)("settings.saved") } : {}),
  );
  // what a live refresh swaps in: the columns as they are now, with the same filters
  app.get("/partials/board/:id", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const data = (await boards.readBoard(ctx, u, c.req.param("id"), askedOf(c))) as unknown as BoardData;
    return c.html(
      renderFragment(BoardColumns({ t: T(c), csrf: csrf(c), data, locale: u.locale, now: ctx.clock.now() })),
    );
  });

  // a column's next cards, rendered as the board renders them (its "más" button appends them)
  app.get("/partials/board/:id/column/:columnId", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const offset = Math.max(0, Math.min(100_000, Number(c.req.query("offset")) || 0));
    const r = await boards.moreCards(ctx, u, c.req.param("id"), c.req.param("columnId"), offset, askedOf(c));
    return c.html(
      renderFragment(
        html`${r.cards.map(
          (card) =>
            html`<${BoardCard} t=${T(c)} csrf=${csrf(c)} c=${card} board=${r.board} column=${c.req.param("columnId")} locale=${u.locale} now=${ctx.clock.now()} />`,
        )}`,
      ),
    );
  });

  /** A board form: done, back to the board saying so; refused, the board with the reason. */
  const act =
    (fn: (c: C, f: Record<string, unknown>, id: string) => Promise<unknown>, back?: (id: string) => string) =>
    async (c: C) => {
      const id = c.req.param("id")!;
      const f = await formBody(c, { all: true });
      try {
        await fn(c, f, id);
        return c.redirect(back ? back(id) : `/boards/${id}?saved=1`);
      } catch (e) {
        if (!refusal(e)) throw e;
        return boardPage(c, id, { error: errText(e, T(c)) }, statusOf(e, 400));
      }
    };
  app.post(
    "/boards/:id/move",
    act((c, f, id) => boards.moveCard(c.get("ctx"), user(c), id, { itemId: str(f.itemId), columnId: str(f.columnId) })),
  );
  app.post(
    "/boards/:id/filters",
    act((c, f, id) =>
      boards.updateBoard(c.get("ctx"), user(c), id, {
        filters: Object.fromEntries(FILTERS.map((k) => [k, str(f[k])]).filter(([, v]) => v)),
      }),
    ),
  );
  app.post(
    "/boards/:id/columns",
    act((c, f, id) => {
      const [ids, names, statuses, wips] = [arr(f.col_id), arr(f.col_name), arr(f.col_status), arr(f.col_wip)];
      const columns = names
        .map((name, i) => ({
          ...(ids[i] ? { id: ids[i] } : {}),
          name: name.trim(),
          status: statuses[i] || null,
          wip: wips[i]?.trim() ? Number(wips[i]) : null,
        }))
        .filter((x) => x.name);
      return boards.updateBoard(c.get("ctx"), user(c), id, { columns });
    }),
  );
  app.post(
    "/boards/:id/delete",
    act(
      (c, _f, id) => boards.deleteBoard(c.get("ctx"), user(c), id),
      () => "/boards",
    ),
  );
};
