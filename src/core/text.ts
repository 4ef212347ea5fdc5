/** Longest name shown whole: scientific names with their authors stay under it; a 100 kB name does not. */
export const NAME_CHARS = 120;

/**
 * `text` cut to at most `max` UTF-16 units with an ellipsis, never between the halves of a
 * surrogate pair; shorter text is returned as it is. Where it is shown cut, the full name is
 * on hover (the Name widget's title, a chart's hover text cut longer).
 */
export function shortName(text: string, max = NAME_CHARS): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
