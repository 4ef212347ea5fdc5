import 'react';

declare module 'react' {
  interface InputHTMLAttributes<T> {
    /** Chromium/Firefox/Safari folder picker. */
    webkitdirectory?: string;
  }
}
