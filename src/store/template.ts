/**
 * The tiny template language of sql/migrations: `{{#if flag}}…{{else}}…{{/if}}` (nestable)
 * and `{{name}}` substitutions. Context values come from Features and validated config
 * (booleans, integers, identifiers), never from log data. Unknown names are errors, so a
 * typo cannot silently render an empty clause.
 */
export type TemplateContext = Record<string, boolean | number | string>;

const TOKEN = /\{\{(#if\s+!?\w+|else|\/if|\w+)\}\}/g;

export function renderTemplate(text: string, context: TemplateContext): string {
  const out: string[] = [];
  // One frame per open {{#if}}: whether its condition held and whether we are in {{else}}.
  const stack: { cond: boolean; inElse: boolean }[] = [];
  const active = () => stack.every((f) => (f.inElse ? !f.cond : f.cond));
  const lookup = (name: string) => {
    if (!(name in context)) throw new Error(`template: unknown name '${name}'`);
    return context[name];
  };
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (active()) out.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const token = m[1];
    if (token.startsWith('#if')) {
      const raw = token.slice(3).trim();
      const negate = raw.startsWith('!');
      const value = Boolean(lookup(negate ? raw.slice(1) : raw));
      stack.push({ cond: negate ? !value : value, inElse: false });
    } else if (token === 'else') {
      const top = stack.at(-1);
      if (!top || top.inElse) throw new Error('template: {{else}} without {{#if}}');
      top.inElse = true;
    } else if (token === '/if') {
      if (!stack.pop()) throw new Error('template: {{/if}} without {{#if}}');
    } else if (active()) {
      out.push(String(lookup(token)));
    }
  }
  if (stack.length) throw new Error('template: unclosed {{#if}}');
  out.push(text.slice(last));
  return out.join('');
}
