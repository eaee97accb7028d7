// The team's console: one's presence (the top bar's control), the team page with each department's people and
// queue, and what whoever leads a department does there (set someone's presence, give a waiting conversation).
import { formBody } from "../app/http.ts";
import { type ConsoleModule, type C, user, T, csrf, str, page, errText, statusOf } from "../app/console.ts";
import { TeamGrid, TeamPage } from "../../ui/pages/inbox/team.ts";
import { renderFragment } from "../../ui/components/html.ts";
import { consoleActivity, setAvailability, teamOverview } from "./assignment.ts";
import { updateConversation } from "./service.ts";

/** Where a form posted from the console goes back to: the page it came from (same site), else the inbox. */
const back = (c: C) => {
  const ref = c.req.header("referer");
  try {
    const u = new URL(ref ?? "", new URL(c.req.url).origin);
    if (u.origin === new URL(c.req.url).origin && !u.pathname.startsWith("//")) return u.pathname + u.search;
  } catch {
    /* no usable referer */
  }
  return "/inbox";
};

export const teamConsole: ConsoleModule = (app) => {
  const teamPage = async (c: C, msg: { flash?: string; error?: string } = {}, status = 200) => {
    const u = user(c);
    const o = await teamOverview(c.get("ctx"), u);
    return page(
      c,
      T(c)("team.title"),
      "team",
      TeamPage({ t: T(c), csrf: csrf(c), me: u.id, departments: o.departments, ...msg }),
      status,
    );
  };
  app.get("/team", (c) => teamPage(c, c.req.query("saved") ? { flash: T(c)("settings.saved") } : {}));
  // what a live refresh of the team page swaps in
  app.get("/partials/team", async (c) => {
    const u = user(c);
    const o = await teamOverview(c.get("ctx"), u);
    return c.html(renderFragment(TeamGrid({ t: T(c), csrf: csrf(c), me: u.id, departments: o.departments })));
  });

  // one's own presence, from the top bar: back to the page it was chosen on
  app.post("/console/presence", async (c) => {
    const u = user(c);
    const f = await formBody(c);
    await setAvailability(c.get("ctx"), u, u.id, { availability: str(f.availability) as never });
    return c.redirect(back(c));
  });
  // the console says its person did something (typing, clicking): they are not idle
  app.post("/console/presence/activity", (c) => {
    consoleActivity(c.get("ctx"), user(c).id);
    return c.body(null, 204);
  });

  const leaderAct = (fn: (c: C, f: Record<string, unknown>) => Promise<unknown>) => async (c: C) => {
    const f = await formBody(c);
    try {
      await fn(c, f);
      return c.redirect("/team?saved=1");
    } catch (e) {
      return teamPage(c, { error: errText(e, T(c)) }, statusOf(e, 400));
    }
  };
  app.post(
    "/team/people/:userId/presence",
    leaderAct((c, f) =>
      setAvailability(c.get("ctx"), user(c), c.req.param("userId")!, { availability: str(f.availability) as never }),
    ),
  );
  app.post(
    "/team/conversations/:id/assign",
    leaderAct((c, f) =>
      updateConversation(c.get("ctx"), user(c), c.req.param("id")!, { assigneeId: str(f.assigneeId) || null }),
    ),
  );
};
