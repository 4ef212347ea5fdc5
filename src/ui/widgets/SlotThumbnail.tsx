import { normalizePath } from '../../core/dataset/folderIndex.ts';
import { slotImageId } from '../../store/actions.ts';
import { useLab } from '../../store/index.ts';
import { Thumbnail } from './Thumbnail.tsx';
import { useTrainImageFile } from './TrainImageThumbnail.tsx';

/** The file and names of a slot (train images 0..N−1, then test images). */
export function useSlot(slot: number) {
  const dataset = useLab((s) => s.dataset)!;
  const test = useLab((s) => s.test);
  const folder = useLab((s) => s.folder);
  const testMatch = useLab((s) => s.testMatch);
  const trainFile = useTrainImageFile();
  const train = dataset.columns;
  const n = train.imageCount;
  if (slot < n) {
    const fileName = dataset.files.get(slot);
    const c = train.imageClass[slot];
    const inst = train.imageInstitution[slot];
    return {
      id: dataset.ids.get(slot),
      fileName,
      file: trainFile(slot),
      classIndex: c,
      className: train.className[c],
      genus: train.genusName[train.classGenus[c]],
      family: train.familyName[train.classFamily[c]],
      institution: inst >= 0 ? train.institutionName[inst] : null,
    };
  }
  const fileName = test ? test.files.get(slot - n) : '';
  return {
    id: slotImageId(slot),
    fileName,
    file: folder && test && testMatch?.prefix != null ? folder.get(testMatch.prefix + normalizePath(fileName)) : undefined,
    classIndex: -1,
    className: null,
    genus: null,
    family: null,
    institution: null,
  };
}

/** The thumbnail of any slot of the run (a train-metadata image or a test image). */
export function SlotThumbnail({ slot, size = 120, alt }: { slot: number; size?: number; alt: string }) {
  const info = useSlot(slot);
  const key = info.file ? `${info.fileName}#${info.file.size}:${info.file.lastModified}` : `missing:${info.id}`;
  return <Thumbnail imageKey={key} file={info.file} alt={alt} size={size} />;
}
