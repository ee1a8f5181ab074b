/**
 * The resource limits of the data loaders, in one place, each with the reason for its size: a loader checks them
 * from headers and file sizes before it allocates, so an input past a limit gets a one-line error naming the limit
 * instead of gigabytes of memory or minutes of work.
 */

/**
 * Most float32 values one dataset may hold: 2^27 (512 MiB). A dataset lives in memory as float32 and is copied once
 * when split into train and test, so a dataset at the limit needs about 1 GiB; MNIST (47 M values) fits easily.
 */
export const MAX_DATASET_VALUES = 2 ** 27;
export const DATASET_LIMIT_WHY = 'a dataset is held in memory as float32, 512 MiB at most';

/** Largest file read whole (IDX files, JSON): 1 GiB, above anything genlab writes or MNIST ships. */
export const MAX_FILE_BYTES = 2 ** 30;

/** Largest image file: 64 MiB (a 64-megapixel PNG or JPEG is smaller). */
export const MAX_IMAGE_FILE_BYTES = 64 * 2 ** 20;

/**
 * Most pixels one image folder may decode, counted from the headers before any decoding: 2^27 (the decoded RGBA of
 * every image is held until all are read, 4 bytes a pixel: 512 MiB).
 */
export const MAX_FOLDER_PIXELS = 2 ** 27;

/** Longest line of a CSV/TSV/text file: 16 MiB (a row of a million numbers); beyond, the file is not a table. */
export const MAX_LINE_CHARS = 16 * 2 ** 20;

/** Largest .npy header: 1 MiB (NumPy writes a few hundred bytes; its own reader refuses more than 10 000). */
export const MAX_NPY_HEADER_BYTES = 2 ** 20;

/** `n` with thousands separators, for messages. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');
