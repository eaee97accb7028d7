import { AppError } from "../platform/errors.ts";
import { formBody } from "../app/http.ts";
import * as CA from "../../ui/pages/commerce/catalog.ts";
import * as commerce from "./service.ts";
import { type ConsoleModule, type C, user, T, csrf, pid, str, settingsPage, act, refused } from "../app/console.ts";

/** The catalog settings: products, prices, stock and CSV import (what the agents' tools quote). */
export const commerceConsole: ConsoleModule = (app) => {
  const catalogView = async (c: C) =>
    CA.CatalogSettings({
      t: T(c),
      csrf: csrf(c),
      products: await commerce.listProducts(c.get("ctx")),
      money: (p) => commerce.formatMoney(p.price, p.currency, user(c).locale),
    });
  const priceOf = (v: unknown) => {
    const p = commerce.parsePrice(str(v));
    if (p === null)
      throw new AppError(400, "invalid_price", "The price is not valid", { field: "price", value: str(v) });
    return p;
  };
  const stockOf = (v: unknown) => {
    const x = str(v).trim();
    if (x === "") return null;
    if (!/^\d+$/.test(x))
      throw new AppError(400, "invalid_stock", "Stock is a whole number, or empty when not tracked", {
        field: "stock",
        value: x,
      });
    return Number(x);
  };
  app.get("/settings/catalog", async (c) => {
    const imported = /^(\d+)-(\d+)$/.exec(c.req.query("imported") ?? "");
    return settingsPage(
      c,
      "catalog",
      await catalogView(c),
      undefined,
      imported ? T(c)("catalog.imported", { created: imported[1], updated: imported[2] }) : undefined,
    );
  });
  app.post(
    "/settings/catalog",
    act("catalog", catalogView, (c, f) =>
      commerce.createProduct(c.get("ctx"), user(c), {
        sku: str(f.sku),
        name: str(f.name),
        category: str(f.category),
        description: str(f.description),
        price: priceOf(f.price),
        ...(str(f.currency).trim() ? { currency: str(f.currency).trim().toUpperCase() } : {}),
        stock: stockOf(f.stock),
      }),
    ),
  );
  app.post("/settings/catalog/import", async (c) => {
    const f = await formBody(c);
    try {
      if (!(f.file instanceof File) || !f.file.size)
        throw new AppError(400, "file_required", "Choose a file", { field: "file" });
      const r = await commerce.importProducts(c.get("ctx"), user(c), await f.file.text());
      return c.redirect(`/settings/catalog?imported=${r.created}-${r.updated}`);
    } catch (e) {
      return refused(c, "catalog", catalogView, e, 500);
    }
  });
  app.post(
    "/settings/catalog/:id",
    act("catalog", catalogView, (c, f) =>
      commerce.updateProduct(c.get("ctx"), user(c), pid(c), {
        price: priceOf(f.price),
        stock: stockOf(f.stock),
        active: str(f.active) === "1",
      }),
    ),
  );
  app.post(
    "/settings/catalog/:id/delete",
    act("catalog", catalogView, (c) => commerce.deleteProduct(c.get("ctx"), user(c), pid(c))),
  );
};
