import { AppError } from "../platform/errors.ts";
import * as images from "./images.ts";
import { listSegments } from "../inbox/contact-fields.ts";
import { formBody, formFiles } from "../app/http.ts";
import * as CA from "../../ui/pages/commerce/catalog.ts";
import * as commerce from "./service.ts";
import {
  type ConsoleModule,
  type C,
  user,
  T,
  csrf,
  pid,
  str,
  settingsPage,
  act,
  refused,
  errText,
  statusOf,
} from "../app/console.ts";
import { html } from "../../ui/components/html.ts";
import * as priceLists from "./price-lists.ts";
import { channels, tags } from "../inbox/schema.ts";

/** The catalog settings: products, prices, stock and CSV import (what the agents' tools quote). */
export const commerceConsole: ConsoleModule = (app) => {
  const catalogView = async (c: C) => {
    const tree = commerce.categoryTree(await commerce.listCategories(c.get("ctx")));
    const path = new Map(tree.map((x) => [x.id, x.path]));
    return html`${CA.CatalogSettings({
      t: T(c),
      csrf: csrf(c),
      products: (await commerce.listProducts(c.get("ctx"))).map((p) => ({
        ...p,
        category: (p.categoryId && path.get(p.categoryId)) || p.category,
      })),
      money: (p) => commerce.formatMoney(p.price, p.currency, user(c).locale),
    })}${CA.CategoriesCard({ t: T(c), csrf: csrf(c), tree })}${await priceListsCard(c)}`;
  };
  const priceListsCard = async (c: C) => {
    const ctx = c.get("ctx");
    const [lists, chans, tagList, segs] = await Promise.all([
      priceLists.listPriceLists(ctx),
      ctx.db.select({ id: channels.id, name: channels.name }).from(channels),
      ctx.db.select({ id: tags.id, name: tags.name }).from(tags),
      listSegments(ctx),
    ]);
    const name = new Map([...chans, ...tagList, ...segs].map((x) => [x.id, x.name]));
    return CA.PriceListsCard({
      t: T(c),
      csrf: csrf(c),
      channels: chans,
      tags: tagList,
      segments: segs.map((x) => ({ id: x.id, name: x.name })),
      lists: lists.map((l) => ({
        id: l.id,
        name: l.name,
        summary: `${[...l.channelIds, ...l.tagIds, ...l.segmentIds].map((x) => name.get(x) ?? x).join(", ")} · ${Object.entries(
          l.prices,
        )
          .map(([k, v]) => `${k} ${commerce.formatMoney(v, "MXN", user(c).locale)}`)
          .join(", ")}`,
      })),
    });
  };
  const priceOf = (v: unknown) => commerce.priceField(str(v), "price");
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
    "/settings/catalog/price-lists",
    act("catalog", catalogView, (c, f) =>
      priceLists.createPriceList(c.get("ctx"), user(c), {
        name: str(f.name),
        channelIds: str(f.channelId) ? [str(f.channelId)] : [],
        tagIds: str(f.tagId) ? [str(f.tagId)] : [],
        segmentIds: str(f.segmentId) ? [str(f.segmentId)] : [],
        prices: priceLists.parsePriceLines(str(f.prices), commerce.parsePrice),
      }),
    ),
  );
  app.post(
    "/settings/catalog/price-lists/:id/delete",
    act("catalog", catalogView, (c) => priceLists.deletePriceList(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/catalog/categories",
    act("catalog", catalogView, (c, f) =>
      commerce.createCategory(c.get("ctx"), user(c), { name: str(f.name), parentId: str(f.parentId) || null }),
    ),
  );
  app.post(
    "/settings/catalog/categories/:id/delete",
    act("catalog", catalogView, (c) => commerce.deleteCategory(c.get("ctx"), user(c), pid(c))),
  );

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
  // a product's own page: variants, extras, hours, category
  const productView = async (c: C, error?: string) => {
    const ctx = c.get("ctx");
    const p = (await commerce.listProducts(ctx)).find((x) => x.id === pid(c));
    if (!p) throw new AppError(404, "not_found", "Product not found");
    const tree = commerce.categoryTree(await commerce.listCategories(ctx));
    return CA.ProductPage({ t: T(c), csrf: csrf(c), p, tree, error });
  };
  app.get("/settings/catalog/:id", async (c) => settingsPage(c, "catalog", await productView(c)));
  /**
   * A change on a product's own page (its fields, its pictures): back to the page, or the page again with the
   * refusal in the person's words (what else fails is not a refusal).
   */
  const onProduct = (c: C, run: () => Promise<unknown>, anchor = "") =>
    run().then(
      () => c.redirect(`/settings/catalog/${pid(c)}?saved=1${anchor}`),
      async (e) => {
        if (!(e instanceof AppError) && !(e instanceof Error && e.name === "ZodError")) throw e;
        return settingsPage(
          c,
          "catalog",
          await productView(c, errText(e, T(c))),
          undefined,
          undefined,
          statusOf(e, 400),
        );
      },
    );
  app.post("/settings/catalog/:id/edit", async (c) => {
    const f = await formBody(c);
    return onProduct(c, async () => {
      const opts = (field: "variants" | "modifiers") => {
        const parsed = commerce.parseOptionList(str(f[field]), field === "variants");
        if (!parsed)
          throw new AppError(400, "invalid_options", "Write them as Name=price | Name=price", {
            field,
            value: str(f[field]),
          });
        return parsed;
      };
      const from = str(f.from),
        to = str(f.to);
      const low = str(f.lowStock).trim();
      if (low && !/^\d+$/.test(low))
        throw new AppError(400, "invalid_stock", "Stock is a whole number, or empty when not tracked", {
          field: "lowStock",
        });
      await commerce.updateProduct(c.get("ctx"), user(c), pid(c), {
        name: str(f.name),
        description: str(f.description),
        categoryId: str(f.categoryId) || null,
        price: priceOf(f.price),
        stock: stockOf(f.stock),
        variants: opts("variants"),
        modifiers: opts("modifiers").map(({ key, name, price }) => ({ key, name, price })),
        availability: from && to ? { days: [], from, to } : null,
        lowStock: low ? Number(low) : null,
        active: str(f.active) === "1",
      });
    });
  });
  app.post(
    "/settings/catalog/:id/delete",
    act("catalog", catalogView, (c) => commerce.deleteProduct(c.get("ctx"), user(c), pid(c))),
  );
  // a product's pictures: added (each with the thumbnail the page made), made the main one, taken off
  app.post("/settings/catalog/:id/images", async (c) => {
    const f = await formBody(c, { all: true });
    // (a file input left empty sends an empty file)
    const imgs = formFiles(f.image).filter((x) => x.size > 0);
    const thumbs = formFiles(f.thumb).filter((x) => x.size > 0);
    return onProduct(
      c,
      () =>
        images.addProductImages(
          c.get("ctx"),
          user(c),
          pid(c),
          imgs.map((image, i) => ({ image, thumb: thumbs.length === imgs.length ? thumbs[i] : null })),
        ),
      "#product-images",
    );
  });
  app.post("/settings/catalog/:id/images/:fileId/:change{main|delete}", (c) =>
    onProduct(
      c,
      () =>
        images.changeProductImage(
          c.get("ctx"),
          user(c),
          pid(c),
          c.req.param("fileId"),
          c.req.param("change") === "main" ? "main" : "remove",
        ),
      "#product-images",
    ),
  );
};
