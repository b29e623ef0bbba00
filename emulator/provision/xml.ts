/**
 * A small XML reader for key files: elements, attributes, text, comments, CDATA and the five
 * predefined entities plus character references. No DTDs (a DOCTYPE is refused, so no entity
 * expansion), bounded depth. Errors name the line. Enough for PSKC; not a general XML library.
 */
import { ProvisionError } from './auth.ts';

export interface XmlElement {
  name: string;
  /** The name without its namespace prefix. */
  local: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, line: () => number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (_m, e: string | undefined) => {
    if (!e) throw new ProvisionError(`XML line ${line()}: a bare "&"`);
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    const v = ENTITIES[e];
    if (v === undefined) throw new ProvisionError(`XML line ${line()}: unknown entity &${e};`);
    return v;
  });
}

export function parseXml(text: string, maxDepth = 32): XmlElement {
  let i = 0;
  const line = () => text.slice(0, i).split('\n').length;
  const fail = (what: string): never => {
    throw new ProvisionError(`XML line ${line()}: ${what}`);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (stack.length) stack[stack.length - 1].text += decode(chunk, line);
    else if (chunk.trim()) fail('text outside the root element');
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) fail('an unclosed <? ... ?>');
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) fail('an unclosed comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0 || !stack.length) fail('a CDATA section outside an element or unclosed');
      stack[stack.length - 1].text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      fail('a DOCTYPE or declaration; key files must not have one');
    } else if (text.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i, i + 300));
      if (!m) fail('a malformed end tag');
      const open = stack.pop();
      if (!open || open.name !== m![1]) fail(`</${m![1]}> does not close <${open?.name ?? '(nothing)'}>`);
      i += m![0].length;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(text.slice(i, i + 4096));
      if (!m) fail('a malformed start tag');
      const attrs: Record<string, string> = {};
      for (const a of m![2].matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]] = decode(a[2] ?? a[3] ?? '', line);
      const el: XmlElement = { name: m![1], local: m![1].replace(/^.*:/, ''), attrs, children: [], text: '' };
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) fail('a second root element');
      else root = el;
      if (!m![3]) {
        stack.push(el);
        if (stack.length > maxDepth) fail(`elements nested deeper than ${maxDepth}`);
      }
      i += m![0].length;
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) throw new ProvisionError('the file holds no XML element');
  return root;
}
