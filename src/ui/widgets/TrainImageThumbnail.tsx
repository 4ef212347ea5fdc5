import { normalizePath } from '../../core/dataset/folderIndex.ts';
import { useLab } from '../../store/index.ts';
import { Thumbnail } from './Thumbnail.tsx';

/** The file behind train image `i`, if the dropped folder has it. */
export function useTrainImageFile(): (i: number) => File | undefined {
  const dataset = useLab((s) => s.dataset)!;
  const folder = useLab((s) => s.folder);
  const match = useLab((s) => s.trainMatch);
  return (i: number): File | undefined =>
    folder && match?.prefix != null ? folder.get(match.prefix + normalizePath(dataset.files.get(i))) : undefined;
}

/** The thumbnail of train image `image` (index into the dataset's train columns). */
export function TrainImageThumbnail({ image, size = 160, alt }: { image: number; size?: number; alt: string }) {
  const dataset = useLab((s) => s.dataset)!;
  const file = useTrainImageFile()(image);
  const key = file ? `${dataset.files.get(image)}#${file.size}:${file.lastModified}` : `missing:${dataset.ids.get(image)}`;
  return <Thumbnail imageKey={key} file={file} alt={alt} size={size} />;
}
