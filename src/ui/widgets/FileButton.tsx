interface FileButtonProps {
  label: string;
  testId: string;
  onFiles(files: FileList): void;
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
          if (e.target.files?.length) onFiles(e.target.files);
          e.target.value = '';
        }}
      />
    </label>
  );
}
