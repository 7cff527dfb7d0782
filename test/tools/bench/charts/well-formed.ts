/**
 * A small well-formedness check for the charts' SVG: every tag closed in order, attributes quoted, no raw `<`
 * or unescaped `&` in text or attribute values. Returns the problems (none: well-formed).
 */
const TAG = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
const ENTITY = /&(amp|lt|gt|quot|#39);/y;

export function wellFormedProblems(svg: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  let i = 0;
  while (i < svg.length) {
    const c = svg[i]!;
    if (c === '<') {
      TAG.lastIndex = i;
      const m = TAG.exec(svg);
      if (!m) {
        problems.push(`not a tag at ${i}: ${svg.slice(i, i + 40)}`);
        break;
      }
      const [whole, closing, name, attrs, selfClosing] = m;
      if (closing) {
        const top = open.pop();
        if (top !== name) problems.push(`</${name}> closes <${top ?? 'nothing'}> at ${i}`);
      } else if (!selfClosing) open.push(name!);
      for (const amp of attrs!.matchAll(/&/g)) {
        ENTITY.lastIndex = i + whole.indexOf(attrs!) + amp.index;
        if (!ENTITY.test(svg)) problems.push(`a raw & in the attributes of <${name}> at ${i}`);
      }
      i += whole.length;
    } else if (c === '&') {
      ENTITY.lastIndex = i;
      if (!ENTITY.test(svg)) problems.push(`a raw & at ${i}`);
      i++;
    } else if (c === '>') {
      problems.push(`a raw > at ${i}`);
      i++;
    } else i++;
  }
  if (open.length > 0) problems.push(`never closed: ${open.join(', ')}`);
  return problems;
}

/** The elements whose opening tag matches `pattern` (e.g. /<rect class="bar/), with their attributes. */
export function elements(svg: string, tag: string, where: (attrs: Record<string, string>) => boolean) {
  return [...svg.matchAll(new RegExp(`<${tag}((?:\\s+[\\w:-]+="[^"]*")*)\\s*/?>`, 'g'))]
    .map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])))
    .filter(where);
}
