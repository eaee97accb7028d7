import { z } from "zod";

/** A reference to a stored row (a conversation, contact, department, file…): ids are short; anything longer is refused before any lookup. */
export const idRef = z.string().min(1).max(64);
/** An approved message template (WhatsApp's), by name and language, with the values of its {{n}} placeholders. */
export const templateRef = z.strictObject({
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(15),
  params: z.array(z.string().max(1024)).max(20).default([]),
  /** a library item sent as the template's media header, for a template whose header is an image, video or document */
  header: z.string().min(1).max(64).optional(),
});
/** A list page's cursor (an id, or a time and an id). */
export const cursor = z.string().max(200);

/**
 * The PATCH form of an input schema: every field optional and *without* its default. (zod 4's .partial() keeps
 * defaults, so a PATCH naming one field would silently reset the others to their defaults.)
 */
export function patchOf<S extends z.ZodObject>(schema: S): z.ZodType<Partial<z.output<S>>, Partial<z.input<S>>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    let f = v;
    while (f instanceof z.ZodDefault) f = f.unwrap() as z.ZodType;
    shape[k] = f.optional();
  }
  return z.strictObject(shape) as never;
}
