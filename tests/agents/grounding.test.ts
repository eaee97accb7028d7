// The grounding check's evidence (issue #4's "never a wrong fact", a defect found in CI on 2026-12-04): a price or
// a stock count in a reply is true only when a whole number of the evidence says it. The pieces of the clock's time
// ("Ahora: … 21:50") or of a date, and the digits inside an id, made "$50.00" pass as if a tool had said it.
import { test, expect } from "bun:test";
import { ungroundedFigures } from "../../src/agents/prompt.ts";

const facts = "Negocio: Tacos Don Tito\nAhora: jueves 21:50, 2026-12-04 (abierto)";

test("a price or a stock count needs a whole number of the evidence; a date or a time may be made of its pieces", () => {
  // the clock's minutes and the date's day are not prices
  expect(ungroundedFigures("Son dos horchatas chicas, total $50.00.", facts)).toEqual(["$50.00"]);
  expect(ungroundedFigures("Quedan 4 piezas.", facts)).toEqual(["4 piezas"]);
  expect(ungroundedFigures("Te cobramos 12 pesos.", facts)).toEqual(["12 pesos"]);
  // an id's digits are no evidence either
  const tool = '{"orderId":"01a242eb-cbc4-7104-b35b-207216ef9b2f","total":"$60.00 MXN","left":3}';
  expect(ungroundedFigures("Tu total es $7104.", tool)).toEqual(["$7104"]);
  // what the evidence says stays true
  expect(ungroundedFigures("Tu total es $60.00 MXN y quedan 3 unidades.", tool)).toEqual([]);
  expect(ungroundedFigures("Hoy es 04/12 y son las 21:50; te esperamos el 4 de diciembre.", facts)).toEqual([]);
  // a time that is not the clock's is still caught
  expect(ungroundedFigures("Abrimos a las 22:15.", facts)).toEqual(["22:15"]);
});
