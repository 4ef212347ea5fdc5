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
// The canvas holds the thumbnail's own pixels (width×height); CSS scales it into the box.
const canvasStyle: CSSProperties = { width: '100%', height: '100%', objectFit: 'contain', display: 'block' };
const hiddenStyle: CSSProperties = { display: 'none' };
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
 * Draws a ready thumbnail into the canvas (over white: transparent pixels show white). The canvas
 * keeps its own copy, so the cache may close the bitmap afterwards. False when it cannot be drawn
 * (the bitmap was closed meanwhile, or no 2D context).
 */
function paint(canvas: HTMLCanvasElement, thumb: Extract<Settled, { status: 'ready' }>): boolean {
  try {
    if (canvas.width !== thumb.width) canvas.width = thumb.width;
    if (canvas.height !== thumb.height) canvas.height = thumb.height;
    // willReadFrequently asks for a CPU canvas: a small picture drawn once needs no GPU texture
    // (with --disable-gpu it is the same; not measured on a machine with a GPU).
    const ctx = canvas.getContext('2d', { alpha: false, willReadFrequently: true });
    if (!ctx) return false;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, thumb.width, thumb.height);
    ctx.drawImage(thumb.bitmap, 0, 0, thumb.width, thumb.height);
    return true;
  } catch {
    return false; // a closed (evicted) bitmap throws InvalidStateError
  }
}

/**
 * A fixed-size box that asks for its thumbnail once it comes within ~200px of the viewport, and
 * gives up the request if it scrolls away (or unmounts) before the decode started. The thumbnail
 * is drawn into a canvas the box always holds (hidden until ready); no blob URL, no <img>.
 */
export function Thumbnail({ imageKey, file, alt, size = 160 }: ThumbnailProps) {
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [visible, setVisible] = useState(false);
  // The result carries its key: a box reused for another image shows "loading", never the old one.
  // Invariant: when `result` is ready, the canvas holds its pixels (drawn just before it was set).
  const [result, setResult] = useState<{ key: string; file: File | undefined; state: Settled } | null>(null);
  // One retry when a cached bitmap can no longer be drawn (it was evicted and closed meanwhile).
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

  // Unmounted: free the canvas's pixels now. Left to the garbage collector, the backing stores of
  // the canvases scrolled past (shared memory) piled up by ~100 MiB over 2,000 rows before a GC.
  useEffect(() => {
    const canvas = canvasRef.current;
    return () => {
      if (canvas) canvas.width = 0; // a 0-wide canvas has no backing store
    };
  }, []);

  useEffect(() => {
    if (!visible || settled) return;
    const controller = new AbortController();
    thumbnails.get(imageKey, file, controller.signal).then(
      (state) => {
        if (controller.signal.aborted) return;
        const canvas = canvasRef.current;
        // Drawn here, in the promise's callback: the cache closes a bitmap only when it evicts it.
        if (state.status === 'ready' && !(canvas && paint(canvas, state))) {
          if (retried !== imageKey) setRetried(imageKey);
          else setResult({ key: imageKey, file, state: { status: 'failed', reason: 'the thumbnail could not be shown' } });
          return;
        }
        setResult({ key: imageKey, file, state });
      },
      () => {}, // aborted: this box scrolled away or unmounted
    );
    return () => controller.abort();
  }, [visible, settled, imageKey, file, retried]);

  const state: ThumbnailState = current ?? { status: 'loading' };

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
      <canvas
        ref={canvasRef}
        role="img"
        aria-label={alt}
        style={state.status === 'ready' ? canvasStyle : hiddenStyle}
      />
      {state.status === 'failed' && (
        <div className="thumb-failed" data-testid="thumb-failed" style={failedStyle}>
          {state.reason}
        </div>
      )}
    </div>
  );
}
