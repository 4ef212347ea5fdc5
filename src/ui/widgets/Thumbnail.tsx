import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { thumbnails, type ThumbnailState } from '../../io/thumbnails.ts';

interface ThumbnailProps {
  /** Identifies the image in the thumbnail cache (unique within the dropped folder). */
  imageKey: string;
  /** The image's file, or undefined when it is not in the dropped folder. */
  file: File | undefined;
  alt: string;
  /** The box's side, px (default 160). */
  size?: number;
}

type Settled = Exclude<ThumbnailState, { status: 'loading' }>;

const boxStyle: CSSProperties = {
  boxSizing: 'border-box',
  display: 'flex',
  alignItems: 'center',
  justifyContent: 'center',
  overflow: 'hidden',
  flex: 'none',
  background: '#f1f3f1',
  border: '1px solid var(--line, #dde2dd)',
  borderRadius: 4,
};
const imgStyle: CSSProperties = { width: '100%', height: '100%', objectFit: 'contain', display: 'block' };
const failedStyle: CSSProperties = {
  padding: '0.4rem',
  fontSize: '0.75rem',
  lineHeight: 1.25,
  color: 'var(--muted, #66706a)',
  textAlign: 'center',
  overflowWrap: 'anywhere',
};

// "Near" the view: within 200px of the viewport (rootMargin) and, where the box sits in its own
// scrolling element such as a grid, of that element's visible part (scrollMargin, Chromium 120+;
// elsewhere ignored, and such boxes load once they actually show).
const nearView: IntersectionObserverInit & { scrollMargin?: string } = { rootMargin: '200px', scrollMargin: '200px' };

/**
 * A fixed-size box that asks for its thumbnail once it comes within ~200px of the viewport, and
 * gives up the request if it scrolls away (or unmounts) before the decode started.
 */
export function Thumbnail({ imageKey, file, alt, size = 160 }: ThumbnailProps) {
  const boxRef = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  // The result carries its key: a box reused for another image shows "loading", never the old one.
  const [result, setResult] = useState<{ key: string; file: File | undefined; state: Settled } | null>(null);
  // One retry when a cached URL no longer loads (it was evicted and revoked meanwhile).
  const [retried, setRetried] = useState<string | null>(null);
  const current = result && result.key === imageKey && result.file === file ? result.state : null;
  const settled = current !== null;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return;
    }
    const observer = new IntersectionObserver((entries) => setVisible(entries[entries.length - 1].isIntersecting), nearView);
    observer.observe(box);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (!visible || settled) return;
    const controller = new AbortController();
    thumbnails.get(imageKey, file, controller.signal).then(
      (state) => {
        if (!controller.signal.aborted) setResult({ key: imageKey, file, state });
      },
      () => {}, // aborted: this box scrolled away or unmounted
    );
    return () => controller.abort();
  }, [visible, settled, imageKey, file]);

  const state: ThumbnailState = current ?? { status: 'loading' };
  const onImageError = () => {
    if (retried === imageKey) {
      setResult({ key: imageKey, file, state: { status: 'failed', reason: 'the thumbnail could not be shown' } });
    } else {
      setRetried(imageKey);
      setResult(null);
    }
  };

  return (
    <div
      ref={boxRef}
      className={`thumb thumb-${state.status}`}
      data-testid="thumb"
      data-state={state.status}
      aria-busy={state.status === 'loading' || undefined}
      title={state.status === 'failed' ? `${alt}: ${state.reason}` : alt}
      style={{ ...boxStyle, width: size, height: size }}
    >
      {state.status === 'ready' && (
        <img
          src={state.url}
          alt={alt}
          width={state.width}
          height={state.height}
          decoding="async"
          draggable={false}
          style={imgStyle}
          onError={onImageError}
        />
      )}
      {state.status === 'failed' && (
        <div className="thumb-failed" data-testid="thumb-failed" style={failedStyle}>
          {state.reason}
        </div>
      )}
    </div>
  );
}
