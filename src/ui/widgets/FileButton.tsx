interface FileButtonProps {
  label: string;
  testId: string;
  onFiles(files: File[]): void;
  accept?: string;
  /** Pick a whole folder (webkitdirectory) instead of files. */
  folder?: boolean;
}

/** A button-styled file input; the input itself keeps its test id for scripts. */
export function FileButton({ label, testId, onFiles, accept, folder }: FileButtonProps) {
  return (
    <label className="button">
      {label}
      <input
        type="file"
        accept={accept}
        multiple
        webkitdirectory={folder ? '' : undefined}
        data-testid={testId}
        onChange={(e) => {
          // Copy first: clearing the input (so the same files can be picked again) empties its
          // live FileList, and a 100,000-file folder is read across several tasks.
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          if (files.length) onFiles(files);
        }}
      />
    </label>
  );
}
