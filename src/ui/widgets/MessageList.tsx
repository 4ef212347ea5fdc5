import { useLab } from '../../store/index.ts';
import { formatNumber } from '../format.ts';
import { Name } from './Name.tsx';

/** A message is a sentence or two; longer ones carry a name from a file, shown cut. */
const MESSAGE_CHARS = 1000;

/** Errors and warnings about the input: which file, what, where; each can be dismissed. */
export function MessageList() {
  const messages = useLab((s) => s.messages);
  const dismiss = useLab((s) => s.dismissMessage);
  if (messages.length === 0) return null;
  return (
    <ul className="messages" aria-label="Problems with the input">
      {messages.map((m) => (
        <li key={m.id} role="alert" className={`message message-${m.severity}`} data-severity={m.severity} data-file={m.file}>
          <div className="message-head">
            <strong>{m.severity === 'error' ? 'Error' : 'Warning'}</strong> in <code><Name text={m.file} /></code>: <Name text={m.message} max={MESSAGE_CHARS} />
            {m.count !== undefined && m.count > 1 ? ` (${formatNumber(m.count)} items)` : ''}
            <button type="button" className="dismiss" aria-label="Dismiss" onClick={() => dismiss(m.id)}>
              ×
            </button>
          </div>
          {m.where && <div className="message-where">at <Name text={m.where} max={MESSAGE_CHARS} /></div>}
          {m.examples && m.examples.length > 0 && (
            <div className="message-examples">
              {m.count !== undefined && m.count > m.examples.length ? 'first: ' : ''}
              {m.examples.map((e, k) => (
                <code key={k}>
                  <Name text={e} />
                </code>
              ))}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
