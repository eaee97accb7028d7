// The interface's icons: Lucide (a maintained SVG icon set, ISC), drawn inline so they need no font and no
// request, on the server and in the client islands alike. Never emoji as icons: without an emoji font they are boxes.
import { h, type VNode } from "preact";
// one module per icon: the package's index loads all ~2,000 of them (70–110 ms at start-up)
import ArrowLeft from "lucide/dist/esm/icons/arrow-left.mjs";
import Ban from "lucide/dist/esm/icons/ban.mjs";
import Bell from "lucide/dist/esm/icons/bell.mjs";
import Bot from "lucide/dist/esm/icons/bot.mjs";
import Check from "lucide/dist/esm/icons/check.mjs";
import Forward from "lucide/dist/esm/icons/forward.mjs";
import Frown from "lucide/dist/esm/icons/face-slightly-frowning.mjs";
import Inbox from "lucide/dist/esm/icons/inbox.mjs";
import List from "lucide/dist/esm/icons/list.mjs";
import LogOut from "lucide/dist/esm/icons/log-out.mjs";
import MapPin from "lucide/dist/esm/icons/map-pin.mjs";
import Menu from "lucide/dist/esm/icons/menu.mjs";
import MessageCircle from "lucide/dist/esm/icons/message-circle.mjs";
import Paperclip from "lucide/dist/esm/icons/paperclip.mjs";
import Plus from "lucide/dist/esm/icons/plus.mjs";
import Search from "lucide/dist/esm/icons/search.mjs";
import Send from "lucide/dist/esm/icons/send.mjs";
import Settings from "lucide/dist/esm/icons/settings.mjs";
import ShoppingCart from "lucide/dist/esm/icons/shopping-cart.mjs";
import Smile from "lucide/dist/esm/icons/face-slightly-smiling.mjs";
import Sparkles from "lucide/dist/esm/icons/sparkles.mjs";
import Star from "lucide/dist/esm/icons/star.mjs";
import SquareCheck from "lucide/dist/esm/icons/square-check.mjs";
import Trash from "lucide/dist/esm/icons/trash.mjs";
import TriangleAlert from "lucide/dist/esm/icons/triangle-alert.mjs";
import User from "lucide/dist/esm/icons/user.mjs";
import Users from "lucide/dist/esm/icons/users.mjs";
import X from "lucide/dist/esm/icons/x.mjs";
import Workflow from "lucide/dist/esm/icons/workflow.mjs";
import Zap from "lucide/dist/esm/icons/zap.mjs";
import type { IconNode } from "lucide";

export const icons = {
  back: ArrowLeft,
  ban: Ban,
  bell: Bell,
  bot: Bot,
  check: Check,
  forward: Forward,
  frown: Frown,
  inbox: Inbox,
  list: List,
  logout: LogOut,
  pin: MapPin,
  menu: Menu,
  chat: MessageCircle,
  attach: Paperclip,
  plus: Plus,
  search: Search,
  send: Send,
  settings: Settings,
  cart: ShoppingCart,
  smile: Smile,
  sparkles: Sparkles,
  star: Star,
  choice: SquareCheck,
  trash: Trash,
  warn: TriangleAlert,
  user: User,
  users: Users,
  close: X,
  zap: Zap,
  workflow: Workflow,
} satisfies Record<string, IconNode>;
export type IconName = keyof typeof icons;

/** An icon, decorative unless it has a label (then it is the control's name for screen readers). */
export function Icon({ name, label, size = 16 }: { name: IconName; label?: string; size?: number }): VNode {
  return h(
    "svg",
    {
      class: `icon icon-${name}`,
      width: size,
      height: size,
      viewBox: "0 0 24 24",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 2,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      ...(label ? { role: "img", "aria-label": label } : { "aria-hidden": "true", focusable: "false" }),
    },
    icons[name].map(([tag, attrs]) => h(tag, attrs as Record<string, string>)),
  );
}

/** Initials for an avatar: "Ana López" → "AL", "+52 55 1234" → "#". */
export function initials(name: string | null | undefined) {
  const words = (name ?? "")
    .trim()
    .split(/\s+/)
    .filter((w) => /\p{L}/u.test(w));
  if (!words.length) return "#";
  const letters = (words.length > 1 ? [words[0], words[words.length - 1]] : [words[0]]).map(
    (w) => [...w.replace(/^[^\p{L}]+/u, "")][0] ?? "",
  );
  return letters.join("").toUpperCase() || "#";
}

/** A stable colour per name, from a palette that keeps white text readable. */
export function avatarColor(key: string) {
  const palette = [
    "#0f766e",
    "#1d4ed8",
    "#7c3aed",
    "#be185d",
    "#b45309",
    "#15803d",
    "#0e7490",
    "#9333ea",
    "#c2410c",
    "#4338ca",
  ];
  let n = 0;
  for (const ch of key) n = (n * 31 + ch.codePointAt(0)!) >>> 0;
  return palette[n % palette.length];
}

/** A round avatar with initials. */
export function Avatar({
  name,
  id,
  size = 32,
}: {
  name: string | null | undefined;
  id?: string;
  size?: number;
}): VNode {
  return h(
    "span",
    {
      class: "avatar",
      "aria-hidden": "true",
      style: `width:${size}px;height:${size}px;background:${avatarColor(id ?? name ?? "")};font-size:${Math.round(size * 0.4)}px`,
    },
    initials(name),
  );
}
