// CSV as owners export it from a spreadsheet: the knowledge base reads FAQ sheets with it, the catalog imports
// its products with it.

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF), separator `,` or `;` as the header line shows. */
export function parseCsv(text: string): string[][] {
  return parseCsvLines(text).map((r) => r.cells);
}

/**
 * parseCsv with each row's line in the file (1-based, where the row starts: a quoted field may span lines), so a
 * bad row is named as a spreadsheet numbers it. Blank rows are skipped.
 */
export function parseCsvLines(text: string): { line: number; cells: string[] }[] {
  const first = text.slice(0, text.indexOf("\n") >>> 0);
  const sep = (first.match(/;/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? ";" : ",";
  const rows: { line: number; cells: string[] }[] = [];
  let row: string[] = [],
    field = "",
    quoted = false,
    line = 1,
    start = 1;
  const end = () => {
    row.push(field);
    field = "";
    if (row.some((f) => f.trim())) rows.push({ line: start, cells: row.map((f) => f.trim()) });
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      end();
      line++;
      start = line;
    } else field += ch;
  }
  end();
  return rows;
}
