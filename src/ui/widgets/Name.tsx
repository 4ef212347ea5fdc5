import { NAME_CHARS, shortName } from '../../core/text.ts';

/**
 * A name from the metadata, as text (never markup): cut to `max` characters. A cut name carries
 * the whole one in its title (hover) and can take keyboard focus, which shows it too (app.css).
 */
export function Name({ text, max = NAME_CHARS, className }: { text: string; max?: number; className?: string }) {
  const cut = text.length > max;
  return (
    <span className={className ? `name ${className}` : 'name'} title={cut ? text : undefined} tabIndex={cut ? 0 : undefined} data-full-name={cut ? 'cut' : undefined}>
      {shortName(text, max)}
    </span>
  );
}
