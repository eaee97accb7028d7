// Protocol doubles of a Shopify shop's Admin GraphQL API and a WooCommerce store's REST API on 127.0.0.1, from
// tests/fixtures/shopify|woocommerce: Shopify's products query (paged by cursor, X-Shopify-Access-Token) and
// WooCommerce's GET /wp-json/wc/v3/products (basic auth with the key and secret, X-WP-TotalPages), a variable
// product's GET /wp-json/wc/v3/products/{id}/variations (REST v3's variation objects: id, sku, price, manage_stock,
// stock_quantity, stock_status, attributes [{id, name, option}]; no real payload in the fixtures), and its orders
// (created through POST /wp-json/wc/v3/orders, read back with modified_after).
type Any = any;
export function startStoresDouble(opts: { shopifyToken: string; wooKey: string; wooSecret: string }) {
  const shopify: Record<string, unknown>[] = [];
  /** inventory items by gid: their variant (id, inventoryQuantity, product { id }) */
  const shopifyInventory: Record<string, { id: string; inventoryQuantity: number | null; product: { id: string } }> =
    {};
  const woo: Record<string, unknown>[] = [];
  /** a variable product's variations, by its id */
  const wooVariations: Record<string, Record<string, unknown>[]> = {};
  /** orders created in the store through its API, as WooCommerce keeps them (status, date_modified_gmt) */
  const wooOrders: Record<string, Any>[] = [];
  const requests: { path: string; auth: string | null }[] = [];
  /** WooCommerce's answer to a request without the store's key and secret (basic auth), or null when it has them. */
  const wooRefusal = (req: Request, what: "view" | "create") =>
    req.headers.get("authorization") === `Basic ${Buffer.from(`${opts.wooKey}:${opts.wooSecret}`).toString("base64")}`
      ? null
      : Response.json(
          what === "view"
            ? {
                code: "woocommerce_rest_cannot_view",
                message: "Sorry, you cannot list resources.",
                data: { status: 401 },
              }
            : {
                code: "woocommerce_rest_cannot_create",
                message: "Sorry, you are not allowed to create resources.",
                data: { status: 401 },
              },
          { status: 401 },
        );
  /** A page of a WooCommerce list (per_page, page) with its X-WP-Total and X-WP-TotalPages. */
  const wooPage = (all: unknown[], url: URL) => {
    const per = Number(url.searchParams.get("per_page") ?? 10);
    const page = Number(url.searchParams.get("page") ?? 1);
    return Response.json(all.slice((page - 1) * per, page * per), {
      headers: {
        "x-wp-total": String(all.length),
        "x-wp-totalpages": String(Math.max(1, Math.ceil(all.length / per))),
      },
    });
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req): Promise<Response> {
      const url = new URL(req.url);
      requests.push({
        path: url.pathname,
        auth: req.headers.get("x-shopify-access-token") ?? req.headers.get("authorization"),
      });
      if (req.method === "POST" && url.pathname === "/admin/api/2025-01/graphql.json") {
        if (req.headers.get("x-shopify-access-token") !== opts.shopifyToken)
          return Response.json(
            { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" },
            { status: 401 },
          );
        const { query, variables } = (await req.json()) as {
          query?: string;
          variables?: { after?: string | null; id?: string };
        };
        // an inventory item's variant with its quantity over every location (Admin GraphQL's InventoryItem)
        if (query?.includes("inventoryItem(")) {
          const v = shopifyInventory[String(variables?.id)];
          return Response.json({ data: { inventoryItem: v ? { id: variables?.id, variant: v } : null } });
        }
        const from = variables?.after ? Number(variables.after) : 0;
        const page = shopify.slice(from, from + 2);
        return Response.json({
          data: {
            products: {
              pageInfo: { hasNextPage: from + 2 < shopify.length, endCursor: String(from + 2) },
              nodes: page,
            },
          },
        });
      }
      if (req.method === "GET" && url.pathname === "/wp-json/wc/v3/products") {
        const refused = wooRefusal(req, "view");
        if (refused) return refused;
        return wooPage(woo, url);
      }
      const variations = /^\/wp-json\/wc\/v3\/products\/(\d+)\/variations$/.exec(url.pathname);
      if (req.method === "GET" && variations) {
        const refused = wooRefusal(req, "view");
        if (refused) return refused;
        return wooPage(wooVariations[variations[1]!] ?? [], url);
      }
      if (url.pathname === "/wp-json/wc/v3/orders") {
        const refused = wooRefusal(req, "create");
        if (refused) return refused;
        if (req.method === "POST") {
          const body = (await req.json()) as Record<string, Any>;
          const o = {
            id: 7000 + wooOrders.length + 1,
            ...body,
            date_modified_gmt: new Date().toISOString().slice(0, 19),
          };
          wooOrders.push(o);
          return Response.json(o, { status: 201 });
        }
        const since = url.searchParams.get("modified_after");
        const list = wooOrders.filter((o) => !since || `${o.date_modified_gmt}Z` > since);
        return Response.json(list, { headers: { "x-wp-totalpages": "1" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    shopify,
    shopifyInventory,
    woo,
    wooVariations,
    wooOrders,
    requests,
    /** the store changes an order (a person in its admin) */
    setWooOrder(id: number, status: string) {
      const o = wooOrders.find((x) => x.id === id)!;
      o.status = status;
      o.date_modified_gmt = new Date(Date.now() + 1000).toISOString().slice(0, 19);
      return o;
    },
    stop: () => server.stop(true),
  };
}
