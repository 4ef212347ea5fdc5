/**
 * Plotly renders a subset of HTML in labels, hover text and ticks (<b>, <br>, <a href>…), and
 * names come from untrusted metadata: every name goes through here before it reaches a figure.
 * Plotly decodes &amp; &lt; &gt; and numeric entities only (svg_text_utils convertEntities), so
 * those three are escaped and nothing else: an escaped `"` would show as &quot;.
 */
export function escapeLabel(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
